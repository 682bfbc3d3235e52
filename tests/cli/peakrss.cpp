// SPDX-License-Identifier: GPL-3.0-or-later
// peakrss COMMAND [ARG...]: runs the command as a child and prints its peak resident set
// size in KiB (ru_maxrss from wait4) on stderr as "peakrss: N KiB"; exits with the child's
// status (128 + the signal when it was killed). What /usr/bin/time -f %M says, without
// depending on GNU time being installed.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: peakrss COMMAND [ARG...]\n");
        return 2;
    }
    const pid_t child = ::fork();
    if (child < 0) {
        std::fprintf(stderr, "peakrss: fork: %s\n", std::strerror(errno));
        return 2;
    }
    if (child == 0) {
        ::execvp(argv[1], argv + 1);
        std::fprintf(stderr, "peakrss: cannot run '%s': %s\n", argv[1], std::strerror(errno));
        ::_exit(127);
    }
    int status = 0;
    struct rusage usage {};
    pid_t waited = 0;
    do
        waited = ::wait4(child, &status, 0, &usage);
    while (waited < 0 && errno == EINTR);
    if (waited < 0) {
        std::fprintf(stderr, "peakrss: wait4: %s\n", std::strerror(errno));
        return 2;
    }
    std::fprintf(stderr, "peakrss: %ld KiB\n", usage.ru_maxrss);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
