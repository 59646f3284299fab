/* The system calls newlib needs, on the serial console and the heap. */
#include <errno.h>
#include <sys/stat.h>

#include "parent/serial.h"

int _write(int fd, const void *buf, int len);
int _read(int fd, void *buf, int len);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int off, int whence);
void _exit(int status);
int _kill(int pid, int sig);
int _getpid(void);

int _write(int fd, const void *buf, int len)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	serial_write(buf, (size_t)len);
	return len;
}

int _read(int fd, void *buf, int len)
{
	if (fd != 0) {
		errno = EBADF;
		return -1;
	}
	if (len > 0)
		*(char *)buf = serial_getc();
	return len > 0;
}

int _close(int fd) { errno = EBADF; return -1; }

int _fstat(int fd, struct stat *st)
{
	st->st_mode = S_IFCHR;
	return 0;
}

int _isatty(int fd) { return fd <= 2; }
int _lseek(int fd, int off, int whence) { return 0; }

void _exit(int status)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

int _kill(int pid, int sig) { errno = EINVAL; return -1; }
int _getpid(void) { return 1; }
