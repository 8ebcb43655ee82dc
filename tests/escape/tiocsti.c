/* TIOCSTI: pushes characters into a terminal's input, as if typed, where
 * the shell that started the guest reads them next. Tried on a terminal of
 * its own (a new pty made its controlling terminal, as the guest's own
 * terminal would be): a character read back is the escape. Under
 * --sandbox=strict TIOCSTI and TIOCLINUX are denied. */
#include "escape.h"
#include <sys/ioctl.h>
#include <termios.h>


int main(int argc, char **argv)
{
	struct esc e;
	int master, st;
	pid_t pid;

	esc_init(&e, "tiocsti", argc, argv);
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		esc_note(&e, "no pty: %s", esc_errname(errno));
		return esc_finish(&e);
	}
	pid = fork();
	if (pid < 0)
		esc_die(&e, "fork");
	if (pid == 0) {
		int slave;
		char c = 'x', back = 0;
		struct termios t;

		setsid();
		slave = open(ptsname(master), O_RDWR);
		if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
			_exit(3);
		tcgetattr(slave, &t);
		cfmakeraw(&t);
		tcsetattr(slave, TCSANOW, &t);
		if (ioctl(slave, TIOCSTI, &c) < 0)
			_exit(errno == EPERM ? 4 : errno == EIO ? 5 : 6);
		if (read(slave, &back, 1) == 1 && back == 'x')
			_exit(0);
		_exit(7);
	}
	waitpid(pid, &st, 0);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 99;
	if (st == 0)
		esc_escaped(&e, "TIOCSTI pushed a character");
	else
		esc_note(&e, "TIOCSTI: %s", st == 4 ? "EPERM" : st == 5 ? "EIO" :
			 st == 3 ? "no controlling terminal" : "refused");
	return esc_finish(&e);
}
