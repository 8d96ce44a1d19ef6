#!/bin/sh
# wandb.Image, wandb.Histogram and wandb.Table: files under files/media,
# the JSON values W&B logs for them, and the PNG encoder.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

pyenv="$WBS_BUILDDIR/contrib/python/pyenv.sh"
[ -f "$pyenv" ] || test_skip_all "the Python binding is not built"
. "$pyenv"
PYTHONPATH=$WBS_PYTHONPATH
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH PYTHONDONTWRITEBYTECODE
py() { "$PYTHON" "$@"; }

# pngcheck.py FILE: print width height colortype and the decoded rows.
cat >pngdecode.py <<\EOF
import struct, sys, zlib
def decode(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "signature"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        assert zlib.crc32(kind + body) & 0xffffffff == crc, kind
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = ihdr[:4]
    ch = {0: 1, 4: 2, 2: 3, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    rows = []
    for y in range(h):
        line = raw[y * (w * ch + 1):(y + 1) * (w * ch + 1)]
        assert line[0] == 0, "filter"
        rows.append(list(line[1:]))
    return w, h, ch, rows
EOF

test_expect_success 'images: PNG from pixels, bytes and files; JPEG kept' '
	py - <<-\EOF
	import hashlib, json, os, struct, wandb, wbstore
	from pngdecode import decode
	run = wandb.init(dir=".", id="img1")
	gray = [[0, 64], [128, 255]]
	rgb = [[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [10, 20, 30]]]
	unit = [[0.0, 0.5], [1.0, 0.25]]
	jpeg = (b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0" +
	        b"\x01\x01\0\0\x01\0\x01\0\0" + b"\xff\xc0" +
	        struct.pack(">HBHHB", 11, 8, 7, 9, 1) + b"\x01\x11\0" +
	        b"\xff\xd9")
	open("photo.jpg", "wb").write(jpeg)
	png = wandb.Image(rgb)._data
	run.log({"gray": wandb.Image(gray, caption="g"), "rgb": wandb.Image(rgb),
	         "unit": wandb.Image(unit), "bytes": wandb.Image(png),
	         "photo": wandb.Image("photo.jpg"),
	         "train/pic": wandb.Image(gray), "../up": wandb.Image(gray)})
	bad = wandb.Image(b"not an image")
	run.log({"bad": bad, "ok": 1})
	run.finish()
	r = wbstore.read_run("img1")
	v = r["history"][0]
	files = os.path.join(r["dir"], "files")
	def load(m):
	    data = open(os.path.join(files, m["path"]), "rb").read()
	    assert m["size"] == len(data), m
	    assert m["sha256"] == hashlib.sha256(data).hexdigest(), m
	    assert m["path"].endswith("_%s.%s" % (m["sha256"][:20],
	        "jpg" if m["format"] == "jpeg" else "png")), m
	    return data
	g = v["gray"]
	assert g == {"_type": "image-file", "sha256": g["sha256"],
	             "size": g["size"], "path": "media/images/gray_0_%s.png"
	             % g["sha256"][:20], "format": "png", "width": 2,
	             "height": 2, "caption": "g"}, g
	assert decode(load(g)) == (2, 2, 1, [[0, 64], [128, 255]])
	assert decode(load(v["rgb"]))[3] == [[255, 0, 0, 0, 255, 0],
	                                      [0, 0, 255, 10, 20, 30]]
	assert decode(load(v["unit"]))[3] == [[0, 128], [255, 64]]
	assert load(v["bytes"]) == png and "caption" not in v["bytes"]
	p = v["photo"]
	assert (p["format"], p["width"], p["height"]) == ("jpeg", 9, 7), p
	assert load(p) == jpeg
	assert v["train/pic"]["path"].startswith("media/images/train/pic_0_")
	assert v["../up"]["path"].startswith("media/images/up_0_"), v["../up"]
	load(v["train/pic"]), load(v["../up"])
	assert "bad" not in r["history"][1] and r["history"][1]["ok"] == 1
	with wbstore.Reader("img1") as rd:
	    reg = {f["path"]: f["type"] for f in rd.files()}
	assert all(reg[v[k]["path"]] == 2 for k in ("gray", "rgb", "photo")), reg
	EOF
'

test_expect_success 'a list of images is one images/separated value' '
	py - <<-\EOF
	import os, wandb, wbstore
	with wandb.init(dir=".", id="gal1") as run:
	    for step in range(2):
	        run.log({"gallery": [wandb.Image([[step, 1]], caption="a"),
	                             wandb.Image([[2, 3]])]})
	r = wbstore.read_run("gal1")
	g = r["history"][1]["gallery"]
	assert {k: g[k] for k in ("_type", "width", "height", "format",
	        "count", "captions")} == {"_type": "images/separated",
	        "width": 2, "height": 1, "format": "png", "count": 2,
	        "captions": ["a", ""]}, g
	assert g["filenames"][0].startswith("media/images/gallery_1_0_"), g
	assert g["filenames"][1].startswith("media/images/gallery_1_1_"), g
	for f in g["filenames"]:
	    assert os.path.isfile(os.path.join(r["dir"], "files", f)), f
	EOF
'

test_expect_success 'histograms: bins as numpy computes them, inline JSON' '
	py - 2>err <<-\EOF
	import math, random, wandb, wbstore
	from wbstore.compat import media
	random.seed(7)
	data = [random.gauss(0, 1) for _ in range(1000)] + [5.0, -5.0]
	counts, edges = media._histogram(data, 64)
	assert sum(counts) == len(data) and len(edges) == 65
	assert edges[0] == -5.0 and edges[-1] == 5.0
	try:
	    import numpy as np
	    c2, e2 = np.histogram(np.array(data), bins=64)
	    assert counts == c2.tolist(), "counts differ from numpy"
	    assert all(abs(a - b) < 1e-12 for a, b in zip(edges, e2.tolist()))
	    c3, e3 = np.histogram(np.array([3.0] * 4), bins=3)
	    assert media._histogram([3.0] * 4, 3) == (c3.tolist(), e3.tolist())
	except ImportError:
	    assert media._histogram([3.0] * 4, 2) == ([0, 4], [2.5, 3.0, 3.5])
	with wandb.init(dir=".", id="hist1") as run:
	    run.log({"h": wandb.Histogram(data),
	             "h8": wandb.Histogram([1, 2, math.nan, 3], num_bins=8),
	             "given": wandb.Histogram(np_histogram=([1, 2],
	                                                    [0, 1, 2])),
	             "bad": wandb.Histogram(np_histogram=([1, 2], [0, 1])),
	             "huge": wandb.Histogram(data, num_bins=513)})
	v = wbstore.read_run("hist1")["history"][0]
	assert v["h"] == {"_type": "histogram", "values": counts,
	                  "bins": edges}, v["h"]
	assert sum(v["h8"]["values"]) == 3 and len(v["h8"]["bins"]) == 9
	assert v["given"] == {"_type": "histogram", "values": [1, 2],
	                      "bins": [0, 1, 2]}, v["given"]
	assert "bad" not in v and "huge" not in v, v.keys()
	EOF
	grep "NaN and infinite values are left out" err &&
	grep "np_histogram needs one more edge than counts" err &&
	grep "num_bins must be 1 to 512" err
'

test_expect_success 'tables: a .table.json file and a table-file value' '
	py - 2>err <<-\EOF
	import hashlib, json, os, wandb, wbstore
	t = wandb.Table(columns=["a", "b", "c"], data=[[1, 2.5, "x"]])
	t.add_data(2, 3.5, "y")
	t.add_data(3, 4.5, "z")
	t.add_data(1, 2)                     # wrong width: left out
	t.add_column("d", [True, False, None])
	assert t.get_column("a") == [1, 2, 3]
	with wandb.init(dir=".", id="tab1") as run:
	    run.log({"x": 1})
	    run.log({"eval/tbl": t})
	r = wbstore.read_run("tab1")
	v = r["history"][1]["eval/tbl"]
	path = os.path.join(r["dir"], "files", v["path"])
	body = open(path, "rb").read()
	assert json.loads(body) == {"columns": ["a", "b", "c", "d"],
	    "data": [[1, 2.5, "x", True], [2, 3.5, "y", False],
	             [3, 4.5, "z", None]]}, body
	assert v == {"_type": "table-file", "sha256":
	             hashlib.sha256(body).hexdigest(), "size": len(body),
	             "path": "media/table/eval/tbl_1_%s.table.json"
	             % hashlib.sha256(body).hexdigest()[:20], "ncols": 4,
	             "nrows": 3}, v
	EOF
	grep "a row of 2 values for 3 columns is left out" err
'

test_expect_success 'value shapes match what the official client sent' '
	traces=$WBS_SHARED/protocol/traces/media.jsonl &&
	if ! test -f "$traces"; then
		echo "# no $traces: shapes checked above only"; exit 0
	fi
	py - "$traces" <<-\EOF
	import json, sys, wbstore
	sent = None
	for line in open(sys.argv[1]):
	    body = json.loads(line).get("body")
	    if isinstance(body, dict) and "files" in body:
	        s = body["files"].get("wandb-summary.json")
	        if s and "tbl" in s["content"][0]:
	            sent = json.loads(s["content"][0])
	assert sent is not None
	ours = wbstore.read_run("img1")["history"][0]["gray"]
	assert set(ours) == set(sent["img"]), (set(ours), set(sent["img"]))
	ours = wbstore.read_run("hist1")["history"][0]["h"]
	assert set(ours) == set(sent["hist"]), set(sent["hist"])
	ours = wbstore.read_run("tab1")["history"][1]["eval/tbl"]
	artifact = {"artifact_path", "_latest_artifact_path"}
	assert set(ours) == set(sent["tbl"]) - artifact, set(sent["tbl"])
	EOF
'

test_expect_success 'numpy images, when numpy is there' '
	if ! py -c "import numpy" 2>/dev/null; then
		echo "# numpy is not installed: nested lists only"; exit 0
	fi
	py - <<-\EOF
	import numpy as np, os, wandb, wbstore
	from pngdecode import decode
	hwc = np.zeros((5, 6, 3), dtype=np.uint8)
	hwc[1, 2] = (1, 2, 3)
	chw = np.transpose(hwc, (2, 0, 1))
	f = np.array([[0.0, 1.0], [0.5, np.nan]])
	with wandb.init(dir=".", id="npimg") as run:
	    run.log({"hwc": wandb.Image(hwc), "chw": wandb.Image(chw),
	             "f": wandb.Image(f), "hist": wandb.Histogram(
	                 np_histogram=np.histogram(np.arange(10), bins=3))})
	r = wbstore.read_run("npimg")
	v = r["history"][0]
	dec = {k: decode(open(os.path.join(r["dir"], "files", v[k]["path"]),
	                      "rb").read()) for k in ("hwc", "chw", "f")}
	assert dec["hwc"][:3] == (6, 5, 3) and dec["hwc"][3][1][6:9] == [1, 2, 3]
	assert dec["chw"] == dec["hwc"]
	assert dec["f"] == (2, 2, 1, [[0, 255], [128, 0]]), dec["f"]
	assert v["hist"] == {"_type": "histogram", "values": [3, 3, 4],
	                     "bins": [0.0, 3.0, 6.0, 9.0]}, v["hist"]
	EOF
'

test_done
