/* The C baseline for AMI round trips: sends the AMI banner, then answers every message (anything up to
 * a blank line, CRLF or LF) with the same fixed Ping reply, doing no other work. One thread per
 * connection, blocking sockets, one write per read burst: about the least a server can do per Ping.
 *
 *   cc -O2 -pthread -o do-nothing-server Benchmarks/do-nothing-server.c && ./do-nothing-server PORT
 *
 * Used by scripts/bench-ami.sh; listens on 127.0.0.1 only. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char banner[] = "Asterisk Call Manager/9.0.0\r\n";
static const char reply[] = "Response: Success\r\nActionID: 1\r\nPing: Pong\r\nTimestamp: 1795755207.647570\r\n\r\n";
#define REPLY_LENGTH (sizeof(reply) - 1)
#define READ_SIZE 65536
/* A read of READ_SIZE bytes holds at most READ_SIZE / 2 messages ("\n\n"). */
#define OUT_SIZE ((READ_SIZE / 2 + 1) * REPLY_LENGTH)

static int write_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t written = write(fd, data, length);
        if (written <= 0) return -1;
        data += written;
        length -= (size_t)written;
    }
    return 0;
}

static void *serve(void *argument) {
    int fd = (int)(intptr_t)argument;
    char *in = malloc(READ_SIZE), *out = malloc(OUT_SIZE);
    uint32_t state = 0;
    if (in && out && write_all(fd, banner, sizeof(banner) - 1) == 0) {
        for (;;) {
            ssize_t n = read(fd, in, READ_SIZE);
            if (n <= 0) break;
            size_t pending = 0;
            for (ssize_t i = 0; i < n; i++) {
                state = (state << 8) | (uint8_t)in[i];
                if ((state & 0xFFFF) == 0x0A0A || state == 0x0D0A0D0A) {
                    memcpy(out + pending * REPLY_LENGTH, reply, REPLY_LENGTH);
                    pending++;
                }
            }
            if (pending > 0 && write_all(fd, out, pending * REPLY_LENGTH) != 0) break;
        }
    }
    free(in);
    free(out);
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(listener, 64) != 0) {
        perror("bind/listen");
        return 1;
    }
    printf("do-nothing C server listening on 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        pthread_t thread;
        if (pthread_create(&thread, NULL, serve, (void *)(intptr_t)fd) != 0) {
            close(fd);
            continue;
        }
        pthread_detach(thread);
    }
}
