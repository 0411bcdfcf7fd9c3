// Connection.cpp — the read loop. Draining what is already readable before compiling means a
// burst of keystrokes (many didChange) costs one compilation of the latest text.
#include "lsp/Connection.h"

#include "lsp/Server.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <poll.h>
#include <unistd.h>

namespace xdml::lsp {

namespace {

bool writeAll(int fd, const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool readableNow(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
}

}  // namespace

int serve(int inFd, int outFd, const std::string& version) {
    std::signal(SIGPIPE, SIG_IGN);  // a client that went away is a write error, not a signal
    bool outputBroken = false;
    Server server(
        [&](const Json& message) {
            if (!outputBroken && !writeAll(outFd, frame(message))) outputBroken = true;
        },
        version);
    MessageReader reader;
    std::string chunk(1 << 16, '\0');
    while (!server.exitRequested() && !outputBroken) {
        while (std::optional<Incoming> in = reader.next()) {
            if (in->message) server.handle(*in->message);
            else server.reportUnreadable(in->errorCode, in->error);
            if (server.exitRequested()) break;
        }
        for (const std::string& note : reader.takeSkipped()) std::fprintf(stderr, "xdmlc lsp: %s\n", note.c_str());
        if (server.exitRequested()) break;
        if (!readableNow(inFd)) server.flush();  // the input is quiet: compile the latest text
        ssize_t n = ::read(inFd, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // end of input: the client is gone
        reader.feed(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
    }
    return server.exitCode();
}

}  // namespace xdml::lsp
