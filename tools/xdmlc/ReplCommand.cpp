// ReplCommand.cpp — line editing for the REPL: GNU readline on a terminal (history kept across
// sessions, tab completion from the session), plain lines from a pipe. Each complete input (its
// braces balanced) goes to repl::Session; the session does the rest.
#include "tools/xdmlc/ReplCommand.h"

#include "repl/Session.h"
#include "tools/xdmlc/RunCommand.h"

#include <readline/history.h>
#include <readline/readline.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <unistd.h>

namespace xdml::tools {

namespace {

repl::Session* completingSession = nullptr;
std::string pendingInput;  // the lines of an input not yet complete

char* nextCompletion(const char*, int state) {
    static std::vector<std::string> matches;
    static std::size_t next = 0;
    if (state == 0) {
        std::string before = pendingInput + std::string(rl_line_buffer, static_cast<std::size_t>(rl_point));
        matches = completingSession->completions(before);
        // ':' breaks words, so a command's word is typed without it.
        for (std::string& m : matches)
            if (!m.empty() && m.front() == ':') m.erase(0, 1);
        next = 0;
    }
    return next < matches.size() ? strdup(matches[next++].c_str()) : nullptr;
}

char** complete(const char* text, int, int) {
    const std::string line(rl_line_buffer, static_cast<std::size_t>(rl_point));
    if (pendingInput.empty() && (line.rfind(":load ", 0) == 0 || line.rfind(":save ", 0) == 0)) return nullptr;  // file names
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, nextCompletion);
}

/// Ctrl-C at the prompt drops the input being typed and gives a fresh prompt.
void onInterrupt(int) {
    pendingInput.clear();
    std::fputs("\n", stdout);
    rl_on_new_line();
    rl_replace_line("", 0);
    rl_redisplay();
}

void catchInterrupts() {
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
}

std::string historyFile() {
    if (const char* path = std::getenv("XDML_HISTORY"); path && *path) return path;
    if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.xdml_history";
    return "";
}

int interactive(repl::Session& session) {
    const std::string history = historyFile();
    if (!history.empty()) read_history(history.c_str());
    completingSession = &session;
    rl_readline_name = "xdml";
    rl_attempted_completion_function = complete;
    rl_basic_word_break_characters = const_cast<char*>(" \t\n\"'`@$><=;|&{(,[]:)}+-*/%!?.");
    rl_catch_signals = 0;
    catchInterrupts();
    std::cout << "XDML " << XDML_VERSION << " REPL: declarations, expressions and :commands (:help). Ctrl-D leaves.\n";
    while (!session.finished()) {
        char* line = readline(pendingInput.empty() ? "xdml> " : "  ... ");
        if (!line) break;  // Ctrl-D
        pendingInput += line;
        std::free(line);
        if (!repl::Session::isComplete(pendingInput)) {
            pendingInput += "\n";
            continue;
        }
        const std::string input = std::move(pendingInput);
        pendingInput.clear();
        if (input.find_first_not_of(" \t\n") == std::string::npos) continue;
        add_history(input.c_str());
        if (!history.empty()) {
            // Written at once, so a session that is killed keeps what was typed.
            if (append_history(1, history.c_str()) != 0) write_history(history.c_str());
            history_truncate_file(history.c_str(), 2000);
        }
        session.handle(input, std::cout, std::cerr);
        std::cout.flush();
        catchInterrupts();  // a :run installs its own handler for its run
    }
    std::cout << "\n";
    return 0;
}

int piped(repl::Session& session) {
    int status = 0;
    std::string input, line;
    auto flush = [&] {
        if (!session.handle(input, std::cout, std::cerr)) status = 1;
        std::cout.flush();
        std::cerr.flush();
        input.clear();
    };
    while (!session.finished() && std::getline(std::cin, line)) {
        input += line;
        if (repl::Session::isComplete(input)) flush();
        else input += "\n";
    }
    if (!session.finished() && input.find_first_not_of(" \t\n") != std::string::npos) flush();  // the parser says what is open
    return status;
}

}  // namespace

int replCommand(const ReplArguments& args) {
    repl::SessionOptions options;
    options.workdir = args.workdir;
    options.jit = !args.noJit;
    const char* noColor = std::getenv("NO_COLOR");
    options.color = args.color == "always" || (args.color == "auto" && isatty(STDERR_FILENO) && !(noColor && *noColor));
    RunArguments runArgs;
    runArgs.file = "the session";
    runArgs.noJit = args.noJit;
    options.runPlan = [runArgs](const nlohmann::json& plan, runtime::RunOptions run, int64_t& recorded) {
        return executePlan(plan, std::move(run), runArgs, &recorded);
    };
    repl::Session session(std::move(options));
    int status = 0;
    for (const std::string& file : args.files)
        if (!session.handle(":load " + file, std::cout, std::cerr)) status = 1;
    const int loop = isatty(STDIN_FILENO) ? interactive(session) : piped(session);
    return std::max(status, loop);
}

}  // namespace xdml::tools
