# bash completion for shmheap-ctl, installed where bash-completion looks for
# it (override with bashcompletiondir=DIR).
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = completion/shmheap-ctl
