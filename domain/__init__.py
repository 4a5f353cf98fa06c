"""The kernel: typed errors, the rules (transitions, who may do what, open statuses), the SLA policy's
rules and calendar arithmetic, the one task-filter vocabulary and the input schemas. No writes, no I/O."""
