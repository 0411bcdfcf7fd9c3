// Harness.cpp — in-process compilation of mutants with a watchdog and a crash reporter, so a
// failure names the mutant that caused it instead of only the test case.
#include "Harness.h"

#include "driver/CompileToPlan.h"
#include "driver/Frontend.h"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <mutex>
#include <sstream>
#include <thread>
#include <typeinfo>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define XDML_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XDML_SANITIZED 1
#endif
#endif

extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace xdml::robustness {

namespace {

using Clock = std::chrono::steady_clock;

// The mutant being compiled, for the crash reporter and the watchdog.
std::atomic<const Mutant*> current{nullptr};
std::atomic<long long> currentStart{0};  // steady_clock ticks; 0 when idle

void writeAll(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n <= 0) return;
        data += n;
        size -= std::size_t(n);
    }
}

/// Async-signal-safe: names the current mutant on stderr and saves its text.
void reportCurrent(const char* what) {
    const Mutant* m = current.load();
    if (!m) return;
    const char* head = "\n*** robustness: ";
    writeAll(2, head, std::strlen(head));
    writeAll(2, what, std::strlen(what));
    const char* mid = " while compiling mutant: ";
    writeAll(2, mid, std::strlen(mid));
    writeAll(2, m->label.data(), m->label.size());
    const char* tail = "\n*** its text is saved in robustness-failing-mutant.xdml\n";
    writeAll(2, tail, std::strlen(tail));
    int fd = ::open("robustness-failing-mutant.xdml", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        writeAll(fd, m->text.data(), m->text.size());
        ::close(fd);
    }
}

const int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
struct sigaction previous[sizeof kSignals / sizeof kSignals[0]];

void onFatalSignal(int sig) {
    reportCurrent(sig == SIGABRT ? "abort" : "fatal signal");
    current.store(nullptr);
    // Hand over to whoever was there before (Catch2 reports the test case, then dies).
    for (std::size_t i = 0; i < sizeof kSignals / sizeof kSignals[0]; ++i)
        if (kSignals[i] == sig) sigaction(sig, &previous[i], nullptr);
    raise(sig);
}

void onSanitizerDeath() { reportCurrent("sanitizer error"); }

/// Installs the crash reporter for its lifetime and runs the watchdog.
class Guard {
public:
    explicit Guard(double hardLimitSeconds) : hardLimit_(hardLimitSeconds) {
        struct sigaction action {};
        action.sa_handler = onFatalSignal;
        action.sa_flags = SA_ONSTACK;
        sigemptyset(&action.sa_mask);
        for (std::size_t i = 0; i < sizeof kSignals / sizeof kSignals[0]; ++i)
            sigaction(kSignals[i], &action, &previous[i]);
        if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(onSanitizerDeath);
        watchdog_ = std::thread([this] { watch(); });
    }
    ~Guard() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        wake_.notify_all();
        watchdog_.join();
        for (std::size_t i = 0; i < sizeof kSignals / sizeof kSignals[0]; ++i)
            sigaction(kSignals[i], &previous[i], nullptr);
        if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(nullptr);
    }

private:
    void watch() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return done_; })) {
            long long start = currentStart.load();
            if (start == 0) continue;
            double elapsed = std::chrono::duration<double>(Clock::now().time_since_epoch() -
                                                           Clock::duration(start)).count();
            if (elapsed > hardLimit_) {
                reportCurrent("hang (watchdog)");
                std::_Exit(124);
            }
        }
    }

    double hardLimit_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;
    std::thread watchdog_;
};

/// An alternate signal stack for the compiling thread, so a stack overflow is still reported.
class AltStack {
public:
    AltStack() : memory_(1 << 16) {
        stack_t ss{};
        ss.ss_sp = memory_.data();
        ss.ss_size = memory_.size();
        sigaltstack(&ss, &old_);
    }
    ~AltStack() { sigaltstack(&old_, nullptr); }

private:
    std::vector<char> memory_;
    stack_t old_{};
};

/// Compiles on the current thread; returns the failure, if any.
Outcome compileHere(const Mutant& m, double limitSeconds) {
    Outcome out;
    current.store(&m);
    auto start = Clock::now();
    currentStart.store(start.time_since_epoch().count());
    try {
        SourceManager sources;
        Diagnostics diags(sources);
        // A folder with no flows: an import in a mutant fails cleanly instead of finding files.
        auto program = driver::compile("/nonexistent-xdml-robustness/mutant.xdml", sources, diags, {}, &m.text);
        // What checks clean goes on through lowering and every pass, as `xdmlc check` does;
        // a malformed IR (an internal error) is a failure like a crash.
        if (program && !diags.hasErrors()) {
            driver::CompileOptions options;
            options.pipeline.verifyEach = true;
            const driver::CompiledFlow compiled = driver::compileToPlan(*program, options, diags);
            if (compiled.status == driver::CompiledFlow::Status::Malformed) out.failure = "the IR failed verification";
            else if (compiled.ok()) (void)compiled.plan.dump();
        }
        // Render the first diagnostics (carets under odd bytes included). Not all: 10,000
        // errors on one 40 KB line would render to 800 MB, which measures only the allocator.
        std::size_t shown = 0;
        for (const Diagnostic& d : diags.sorted()) {
            if (shown++ == 200) break;
            (void)diags.renderOne(d, false);
        }
        if (!program) out.failure = "compile() returned null for in-memory text";
        if (!out.failure.empty()) {
            for (const Diagnostic& d : diags.all())
                if (d.message.rfind("internal error", 0) == 0) out.failure += ": " + d.message;
        }
    } catch (const std::exception& e) {
        out.failure = std::string("threw ") + typeid(e).name() + ": " + e.what();
    } catch (...) {
        out.failure = "threw a non-std exception";
    }
    out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    currentStart.store(0);
    current.store(nullptr);
    if (out.failure.empty() && out.seconds > limitSeconds) {
        std::ostringstream s;
        s << "took " << out.seconds << " s (limit " << limitSeconds << " s)";
        out.failure = s.str();
    }
    return out;
}

}  // namespace

double slowdown() {
#ifdef XDML_SANITIZED
    return 5.0;
#else
    return 1.0;
#endif
}

double scale() {
    double s = 1.0 / slowdown();
    if (const char* env = std::getenv("XDML_ROBUSTNESS_SCALE")) {
        double v = std::atof(env);
        if (v > 0) s *= v;
    }
    return s;
}

Outcome compileMutant(const Mutant& m, double limitSeconds) {
    limitSeconds *= slowdown();
    Guard guard(limitSeconds * 20);
    Outcome out;
    driver::runWithLargeStack([&] {
        AltStack alt;
        out = compileHere(m, limitSeconds);
    });
    return out;
}

BatchReport compileAll(const std::vector<Mutant>& mutants, double limitSeconds) {
    limitSeconds *= slowdown();
    Guard guard(limitSeconds * 20);
    BatchReport report;
    driver::runWithLargeStack([&] {
        AltStack alt;
        for (const Mutant& m : mutants) {
            Outcome o = compileHere(m, limitSeconds);
            ++report.compiled;
            if (o.seconds > report.slowest) {
                report.slowest = o.seconds;
                report.slowestLabel = m.label;
            }
            if (!o.failure.empty()) report.failures.push_back(m.label + ": " + o.failure);
            else if (o.seconds > limitSeconds / 4)
                report.slow.push_back(m.label + ": " + std::to_string(o.seconds) + " s");
        }
    });
    return report;
}

}  // namespace xdml::robustness
