# Tools: the runners and shmheap-ctl.
