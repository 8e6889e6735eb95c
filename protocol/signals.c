/* Self-pipe signal delivery; see signals.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "protocol/signals.h"

static int pipefd[2] = {-1, -1};

static void handler(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	if (write(pipefd[1], &b, 1) < 0) {
		/* full pipe: a signal is already pending, which is enough */
	}
	errno = saved;
}

int proto_signals_init(void)
{
	struct sigaction sa;

	if (pipefd[0] >= 0)
		return pipefd[0];
	if (pipe(pipefd) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(pipefd[i], F_SETFL, fcntl(pipefd[i], F_GETFL) | O_NONBLOCK);
		fcntl(pipefd[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return pipefd[0];
}

int proto_signals_take(void)
{
	unsigned char b;
	int last = 0;

	/* A stop wins over a reload that came with it or after it. */
	while (pipefd[0] >= 0 && read(pipefd[0], &b, 1) == 1)
		if (last != SIGINT && last != SIGTERM)
			last = b;
	return last;
}
