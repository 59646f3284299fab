/*
 * What newlib asks of its host in the hypervisor.  The hypervisor has no
 * heap: its memory is the frame allocator, so malloc always fails here.
 */
#include <errno.h>
#include <stddef.h>

void *_sbrk(ptrdiff_t incr);

void *_sbrk(ptrdiff_t incr)
{
	errno = ENOMEM;
	return (void *)-1;
}
