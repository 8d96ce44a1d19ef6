#!/bin/sh
# Bad input to the wandb-compatible module: clear warnings, the good part
# of each row kept, the training process never stopped, stored data sound.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

pyenv="$WBS_BUILDDIR/contrib/python/pyenv.sh"
[ -f "$pyenv" ] || test_skip_all "the Python binding is not built"
. "$pyenv"
PYTHONPATH=$WBS_PYTHONPATH
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH PYTHONDONTWRITEBYTECODE
py() { "$PYTHON" "$@"; }

test_expect_success 'a training loop fed bad values runs to its end' '
	py - >out 2>err1 <<-\EOF
	import datetime, math, types, wandb
	run = wandb.init(dir=".", id="bad1")
	class Thing:
	    pass
	loop = {"self": None}
	loop["self"] = loop
	for i in range(2):                      # warnings come once
	    run.log({"obj": Thing(), "fn": len, "ok": i})
	run.log({"": 1, "a\x01b": 2, 3: 4, "nest": {"x\x1fy": 5, "z": 6},
	         "ok": 10})
	run.log({"s": "\ud800", "ok": 11})
	run.log({"loop": loop, "ok": 12})
	run.log({"long": "x" * (2 << 20), "ok": 13})
	run.log({"k%d" % i: "v" * 1000000 for i in range(30)})   # > 25 MiB
	run.log([1, 2])
	run.log(types.MappingProxyType({"proxy": 1}))
	run.log({"low": 1}, step=1)
	run.log({"fstep": 1}, step=20.0, commit=True)
	run.log({"sstep": 1}, step="x")
	run.log({"nan": math.nan, "inf": math.inf, "ninf": -math.inf,
	         "raw": b"\x00\xffok", "big": 2 ** 70, "set": {3},
	         "tup": (1, "a"), "when": datetime.date(2024, 1, 2),
	         "path/with.dots": 1, "deep": {"a.b/c": {"d": 1}}})
	# A huge dict goes to a run of its own (read back below through the
	# Python reader; wbstore show is slow on 20000 keys).
	with wandb.init(dir=".", id="bad2", reinit="create_new") as wide:
	    wide.log({"wide": {"m%05d" % i: float(i) for i in range(20000)}})
	run.config.update({"thing": Thing()})
	run.summary["thing"] = Thing()
	run.summary["fine"] = 1
	run.finish()
	run.log({"after": 1})
	run.log({"after": 2})
	run.summary["after"] = 1
	print("training went on")
	EOF
	grep "^training went on$" out &&
	grep "key \"obj\": value of type Thing is not JSON serializable" err1 &&
	test $(grep -c "key \"obj\":" err1) = 1 &&
	grep "key \"fn\": value of type builtin_function_or_method" err1 &&
	grep "key \"\": empty key; skipped" err1 &&
	grep "key \"a?b\": key contains a control character" err1 &&
	grep "keys must be strings, not int" err1 &&
	grep "key \"nest.x?y\": key contains a control character" err1 &&
	grep "key \"s\": string is not valid UTF-8" err1 &&
	grep "key path is too long or too deep" err1 &&
	grep "key \"long\": value is over the 1 MiB limit" err1 &&
	grep "over the 25 MiB row limit" err1 &&
	grep "wandb.log must be passed a dictionary, not list" err1 &&
	grep "step that is less than the current step" err1 &&
	grep "step must be an int, not str" err1 &&
	grep "config .thing.: value of type Thing is stored as its text" err1 &&
	grep "key \"thing\": value of type Thing is not JSON serializable" err1 &&
	test $(grep -c "Run (bad1) is finished. The call to .log. will be ignored" err1) = 1 &&
	grep "Run (bad1) is finished. The summary change is ignored" err1 &&
	! grep Traceback err1
'

test_expect_success 'the good part of every row is stored and reads back' '
	wbstore verify bad1 &&
	wbstore show --json bad1 >show.json &&
	py - <<-\EOF
	import json, math, wbstore
	r = wbstore.read_run("bad1")
	h = {x["_step"]: x for x in r["history"]}
	assert h[0] == dict(h[0], ok=0) and "obj" not in h[0], h[0]
	assert h[2]["ok"] == 10 and h[2]["nest"] == {"z": 6}, h[2]
	assert set(h[2]) - {"_step", "_timestamp", "_runtime"} == {"ok",
	                                                          "nest"}, h[2]
	assert h[3] == dict(h[3], ok=11) and "s" not in h[3]
	assert h[5]["ok"] == 13 and "long" not in h[5]
	assert "k0" not in str(r["history"])
	assert h[6]["proxy"] == 1, h[6]
	assert h[20]["fstep"] == 1, sorted(h)
	v = h[21]
	assert math.isnan(v["nan"]) and v["inf"] == math.inf
	assert v["ninf"] == -math.inf and v["raw"] == b"\x00\xffok"
	assert v["big"] == 2 ** 70 and v["set"] == [3] and v["tup"] == [1, "a"]
	assert v["when"] == "2024-01-02" and v["path/with.dots"] == 1
	assert v["deep"] == {"a.b/c": {"d": 1}}, v
	w = wbstore.read_run("bad2")["history"]
	assert len(w) == 1 and len(w[0]["wide"]) == 20000, len(w)
	assert w[0]["wide"]["m19999"] == 19999 and w[0]["_step"] == 0
	assert "low" not in str(h) and "sstep" not in str(h) and "after" not \
	    in str(h)
	assert sorted(h) == [0, 1, 2, 3, 4, 5, 6, 20, 21], sorted(h)
	assert r["config"] == {"thing": r["config"]["thing"]}
	assert r["config"]["thing"].startswith("<__main__.Thing object")
	assert r["summary"]["fine"] == 1 and "thing" not in r["summary"]
	assert r["state"] == "finished" and r["exit_code"] == 0
	s = json.load(open("show.json"))["summary"]
	assert s["raw"] == {"_type": "bytes", "base64": "AP9vaw=="}, s["raw"]
	EOF
'

test_expect_success 'numpy values, when numpy is there' '
	if ! py -c "import numpy" 2>/dev/null; then
		echo "# numpy is not installed: plain values only"; exit 0
	fi
	py - 2>err3 <<-\EOF &&
	import numpy as np, wandb
	run = wandb.init(dir=".", id="np1")
	run.log({"f32": np.float32(0.5), "f64": np.float64(0.25),
	         "i64": np.int64(-3), "u8": np.uint8(200), "b": np.bool_(True),
	         "u64": np.uint64(2 ** 64 - 1), "one": np.array([7.5]),
	         "few": np.arange(4), "many": np.arange(100.0),
	         "nan": np.float32("nan"), "c": np.complex64(1 + 2j)})
	run.log({"loss": np.float32(0.125)}, step=np.int64(5))
	run.finish()
	EOF
	grep "key \"c\": value of type complex" err3 &&
	py - <<-\EOF
	import math, wbstore
	h = wbstore.read_run("np1")["history"]
	v = h[0]
	assert v["f32"] == 0.5 and v["f64"] == 0.25 and v["i64"] == -3, v
	assert v["u8"] == 200 and v["b"] is True and v["one"] == 7.5, v
	assert v["u64"] == 2 ** 64 - 1 and v["few"] == [0, 1, 2, 3], v
	assert v["many"]["_type"] == "histogram", v["many"]
	assert len(v["many"]["values"]) == 32 and sum(v["many"]["values"]) \
	    == 100, v["many"]
	assert math.isnan(v["nan"]) and "c" not in v, v
	assert h[1]["_step"] == 5 and h[1]["loss"] == 0.125, h[1]
	EOF
'

test_expect_success 'without numpy: plain values, histograms and images' '
	mkdir -p nonumpy/numpy &&
	echo "raise ImportError(\"numpy is hidden by this test\")" \
	    >nonumpy/numpy/__init__.py &&
	PYTHONPATH=$TRASH/nonumpy:$PYTHONPATH py - 2>err4 <<-\EOF &&
	import math, sys, wandb
	try:
	    import numpy
	    raise SystemExit("numpy was not hidden")
	except ImportError:
	    pass
	run = wandb.init(dir=".", id="nonp1")
	run.log({"loss": 0.5, "few": [1, 2.5], "nan": math.nan,
	         "val": {"acc": 0.75},
	         "h": wandb.Histogram([1.0, 2.0, 2.0, 3.0], num_bins=2),
	         "img": wandb.Image([[0, 128], [255, 64]])})
	run.log({"loss": 0.25})
	run.finish()
	EOF
	! grep -i traceback err4 &&
	py - <<-\EOF
	import math, sys, wbstore
	h = wbstore.read_run("nonp1")["history"]
	v = h[0]
	assert v["loss"] == 0.5 and v["few"] == [1, 2.5], v
	assert math.isnan(v["nan"]) and v["val"] == {"acc": 0.75}, v
	assert v["h"] == {"_type": "histogram", "values": [1, 3],
	                  "bins": [1.0, 2.0, 3.0]}, v["h"]
	assert v["img"]["_type"] == "image-file", v["img"]
	assert (v["img"]["width"], v["img"]["height"]) == (2, 2), v["img"]
	assert h[1]["loss"] == 0.25 and len(h) == 2, h
	assert "numpy" not in sys.modules, "the reader imported numpy"
	EOF
'

test_expect_success 'logging plain values never imports numpy' '
	py - <<-\EOF
	import sys, wandb
	with wandb.init(dir=".", id="nonp2") as run:
	    run.log({"a": 1, "b": [1, 2], "c": {"d": 2.5}})
	    run.summary["s"] = 1
	    run.config.update({"lr": 0.1})
	assert "numpy" not in sys.modules, "numpy was imported"
	EOF
'

test_done
