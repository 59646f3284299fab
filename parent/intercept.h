/*
 * The parent's side of child intercepts: it enables its SynIC message page
 * with SINT0 in polling mode, and vstack_poll() serves the intercept
 * messages waiting there (port I/O and unmapped-GPA accesses of children)
 * through the VM's emulated devices, then resumes the child VP.
 * hv/abi/tlfs_synic.h has the message formats, docs/intercepts.md the
 * protocol.
 */
#ifndef KEEL_PARENT_INTERCEPT_H
#define KEEL_PARENT_INTERCEPT_H

/* Enable the SynIC message page; 0 or -1 (then no child can do I/O). */
int vstack_init(void);
/* Serve the intercept messages that are waiting (at most a batch of 64,
 * then the caller's own work gets a turn) and the children's IPC; returns
 * how many, and the caller polls again without idling while it is not 0.
 * Never blocks.  Call it whenever the parent waits (for input, a child). */
int vstack_poll(void);

#endif
