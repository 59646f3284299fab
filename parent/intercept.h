/*
 * The parent's side of child intercepts: it enables its SynIC message page
 * with SINT0 in polling mode, and vstack_poll() serves every intercept
 * message waiting there (port I/O and unmapped-GPA accesses of children)
 * through the VM's emulated devices, then resumes the child VP.
 * hv/abi/tlfs_synic.h has the message formats, docs/intercepts.md the
 * protocol.
 */
#ifndef KEEL_PARENT_INTERCEPT_H
#define KEEL_PARENT_INTERCEPT_H

/* Enable the SynIC message page; 0 or -1 (then no child can do I/O). */
int vstack_init(void);
/* Serve the intercept messages that are waiting; returns how many.  Never
 * blocks.  Call it whenever the parent waits (for input, for a child). */
int vstack_poll(void);

#endif
