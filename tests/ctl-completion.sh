#!/bin/sh
# The bash completion of shmheap-ctl: commands, each command's options, the
# columns of -o, and heap names from /dev/shm; and that it offers exactly
# what --help lists, command by command, so that the two cannot drift apart.
# bash-completion's _init_completion is replaced by a minimal one, so the
# package is not needed.
. "$(dirname "$0")/ctl-lib.sh"
command -v bash >/dev/null || skip "no bash"
srcdir=${srcdir:-.}
make_heap "$P-compl"

# complete WORDS...: the completions of the last word, one per line.
complete_words() {
	bash -c '
		_init_completion() { words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
			cur=${words[cword]}; prev=${words[cword-1]}; }
		compopt() { :; }
		. "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_shmheap_ctl
		printf "%s\n" "${COMPREPLY[@]}"' "$srcdir/completion/shmheap-ctl" "$@"
}
# sorted WORDS: one per line, sorted, on one line.
sorted() {
	tr ' ' '\n' | grep -v '^$' | sort -u | tr '\n' ' '
}
# help_options ARGS...: the options that ARGS --help lists (-x and --long).
help_options() {
	"$CTL" "$@" --help | grep -oE '(^| )-(-[a-z][a-z-]*|[A-Za-z])' | tr -d ' ' | sorted
}

expect_eq "$(complete_words shmheap-ctl ch)" "check" "command"
expect_eq "$(complete_words shmheap-ctl s)" "segments" "shmheap-ctl s<TAB>"
expect_eq "$(complete_words shmheap-ctl list --nohe)" "--noheadings" "list option"
expect_eq "$(complete_words shmheap-ctl create --ca)" "--cached" "create --ca<TAB>"
expect_eq "$(complete_words shmheap-ctl list -o name,SI)" "name,SIZE" "column after a comma"
expect_eq "$(complete_words shmheap-ctl list -o +OWN)" "+OWNER" "column after a +"
expect_eq "$(complete_words shmheap-ctl segments -o SYSV_ | sorted)" "SYSV_ID SYSV_KEY " "segments column"
expect_eq "$(complete_words shmheap-ctl map --color=al)" "--color=always" "map --color="
expect_eq "$(complete_words shmheap-ctl check "$P-comp")" "$P-compl" "heap name"
expect_eq "$(complete_words shmheap-ctl map "$P-comp")" "$P-compl" "heap name for map"
expect_eq "$(complete_words shmheap-ctl create "$P-comp")" "" "create: no existing name"

# Everything --help lists, and nothing else.
commands=$("$CTL" --help | awk '/^  [a-z]+( |$)/ { print $1 }' | sorted)
expect_eq "$(complete_words shmheap-ctl "" | grep -v '^-' | sorted)" "$commands" "the commands of --help"
expect_eq "$(complete_words shmheap-ctl - | sorted)" "$(help_options)" "the options of --help"
for cmd in $commands; do
	expect_eq "$(complete_words shmheap-ctl "$cmd" - | sorted)" "$(help_options "$cmd")" \
		"the options of $cmd --help"
done
for cmd in list segments; do
	cols=$("$CTL" $cmd --help | sed -n '/^Columns/,/^$/p' | sed 's/^Columns[^:]*://' |
		grep -oE '[A-Z][A-Z_]+' | sorted)
	[ -n "$cols" ] || fail "$cmd --help lists no columns"
	expect_eq "$(complete_words shmheap-ctl $cmd -o "" | sorted)" "$cols" "the columns of $cmd --help"
done
finish
