#!/bin/sh
# The bash completion of shmheap-ctl: commands, each command's options, the
# columns of -o, and heap names from /dev/shm.  bash-completion's
# _init_completion is replaced by a minimal one, so the package is not needed.
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

expect_eq "$(complete_words shmheap-ctl ch)" "check" "command"
expect_eq "$(complete_words shmheap-ctl list --nohe)" "--noheadings" "list option"
expect_eq "$(complete_words shmheap-ctl list -o name,SI)" "name,SIZE" "column after a comma"
expect_eq "$(complete_words shmheap-ctl check "$P-comp")" "$P-compl" "heap name"
finish
