#!/bin/sh
# The bash completion completes subcommands, options, option values and
# run ids (with and without the bash-completion package); the zsh one
# parses.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

command -v bash >/dev/null || test_skip_all "bash not installed"
COMP=$WBS_SRCDIR/contrib/completion
TRAIN=$WBS_BUILDDIR/contrib/examples/train

# complete WORD...: print what Tab offers after the words (the last word
# is the one being completed), sorted, one a line.
cat >complete.bash <<'EOS'
[ -n "$WBS_BASHCOMP" ] && . "$WBS_BASHCOMP"
. "$COMP/wbstored"
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
case $1 in
wbstored) _wbstored ;;
*) _wbstore ;;
esac
printf '%s\n' "${COMPREPLY[@]}" | sort
EOS
export COMP
WBS_BASHCOMP=
export WBS_BASHCOMP
complete() { bash ./complete.bash "$@"; }

test_expect_success 'the completion files parse' '
	bash -n "$COMP/wbstore" && bash -n "$COMP/wbstored" &&
	if command -v zsh >/dev/null; then zsh -n "$COMP/_wbstore"; fi
'

test_expect_success 'two runs to complete' '
	"$TRAIN" -n 5 -i cmpl0001 >/dev/null &&
	"$TRAIN" -n 5 -i cmpl0002 >/dev/null &&
	mkdir -p other/wandb && (cd other && "$TRAIN" -n 5 -i elsewh01 \
	    >/dev/null)
'

if command -v zsh >/dev/null; then
	test_expect_success 'zsh: compinit registers _wbstore for both programs' '
		mkdir -p zfunc && cp "$COMP/_wbstore" zfunc/ &&
		zsh -f -c "fpath=(\$PWD/zfunc \$fpath)
		    autoload -U compinit && compinit -u -d \$PWD/zcompdump &&
		    [[ \$_comps[wbstore] == _wbstore ]] &&
		    [[ \$_comps[wbstored] == _wbstore ]]"
	'
fi

for bc in "" /usr/share/bash-completion/bash_completion; do
	if [ -n "$bc" ]; then
		[ -r "$bc" ] || continue
		with=" (bash-completion loaded)"
	else
		with=" (plain bash)"
	fi
	WBS_BASHCOMP=$bc

	test_expect_success "every subcommand of wbstore --help$with" '
		wbstore --help | awk "/^Commands:/ { on = 1; next }
		    on && /^  [a-z]/ { print \$1 }" | sort >expect &&
		grep -x ls expect && grep -x sync expect &&
		complete wbstore "" >actual &&
		test_cmp expect actual
	'

	test_expect_success "subcommands by prefix$with" '
		grep "^s" expect >expect.s &&
		complete wbstore s >actual &&
		test_cmp expect.s actual
	'

	test_expect_success "options of ls$with" '
		printf "%s\n" --help --json >expect &&
		complete wbstore ls -- >actual &&
		test_cmp expect actual
	'

	test_expect_success "options of sync by prefix$with" '
		printf "%s\n" --no-mark-synced >expect &&
		complete wbstore sync --no- >actual &&
		test_cmp expect actual
	'

	test_expect_success "values of export --format$with" '
		printf "%s\n" csv jsonl npy npz postgres >expect &&
		complete wbstore export --format "" >actual &&
		test_cmp expect actual &&
		printf "%s\n" npy npz >expect &&
		complete wbstore export -f np >actual &&
		test_cmp expect actual
	'

	test_expect_success "run ids for show$with" '
		printf "%s\n" cmpl0001 cmpl0002 >expect &&
		complete wbstore show cmpl >actual &&
		test_cmp expect actual &&
		complete wbstore show "" >actual &&
		grep -x latest-run actual && grep -x cmpl0001 actual &&
		grep -x "wandb/\{0,1\}" actual
	'

	test_expect_success "run ids follow WANDB_DIR$with" '
		printf "%s\n" elsewh01 >expect &&
		WANDB_DIR=$TRASH/other complete wbstore verify el >actual &&
		test_cmp expect actual
	'

	test_expect_success "options of wbstored$with" '
		complete wbstored --st >actual &&
		printf "%s\n" --store >expect &&
		test_cmp expect actual &&
		complete wbstored --store "" >actual &&
		grep -x "wandb/\{0,1\}" actual
	'
done

test_done
