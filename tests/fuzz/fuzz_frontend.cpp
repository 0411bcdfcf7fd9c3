// fuzz_frontend.cpp — libFuzzer target: the parser and the checker on arbitrary bytes.
// The front end promises to turn every input into diagnostics, never a crash or a hang; this
// target holds it to that, and renders the diagnostics too (carets under odd bytes included).
#include "driver/Frontend.h"
#include "ir/Lower.h"
#include "passes/Pass.h"
#include "plan/Plan.h"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

namespace {

/// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool validUtf8(const uint8_t* p, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (len == 0 || i + len > n) return false;
        uint32_t cp = len == 1 ? c : c & (0x7f >> len);
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

// XDML_FUZZ_VALID_UTF8_ONLY=1 skips inputs that are not UTF-8, to get past a known crash on them
// (tests/fuzz/crashes/invalid-utf8-*) and explore the rest of the front end.
const bool kValidUtf8Only = std::getenv("XDML_FUZZ_VALID_UTF8_ONLY") != nullptr;

/// One long-lived thread on runWithLargeStack's large stack runs every input. A new thread per
/// input, as runWithLargeStack makes, costs ASan the shadow of a 1 GiB stack each time and
/// brings the fuzzer down to a few dozen inputs a second.
class LargeStackWorker {
public:
    LargeStackWorker() {
        std::thread([this] { xdml::driver::runWithLargeStack([this] { serve(); }); }).detach();
    }
    void run(const std::function<void()>& job) {
        std::unique_lock<std::mutex> lock(mutex_);
        job_ = &job;
        wake_.notify_all();
        wake_.wait(lock, [this] { return job_ == nullptr; });
    }

private:
    void serve() {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return job_ != nullptr; });
            (*job_)();  // a crash here is the finding; the lock does not matter then
            job_ = nullptr;
            wake_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    const std::function<void()>* job_ = nullptr;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    static LargeStackWorker* worker = new LargeStackWorker;  // never destroyed: it never stops
    if (kValidUtf8Only && !validUtf8(data, size)) return 0;
    std::string text(reinterpret_cast<const char*>(data), size);
    worker->run([&] {
        xdml::SourceManager sources;
        xdml::Diagnostics diags(sources);
        // A path in a folder with no flows: an `import "x.xdml"` in the input fails cleanly.
        auto program = xdml::driver::compile("/nonexistent-xdml-fuzz/input.xdml", sources, diags, {}, &text);
        // What checks clean goes on through lowering and every pass, as `xdmlc check` does.
        if (program && !diags.hasErrors()) {
            xdml::ir::FlowIR flow = xdml::ir::lowerToIR(*program, diags);
            xdml::passes::PipelineOptions options;
            options.verifyEach = true;
            if (!xdml::passes::runPipeline(flow, diags, options)) __builtin_trap();  // a malformed IR is a bug
            (void)xdml::plan::planJson(flow).dump();
        }
        std::ostringstream out;
        diags.render(out, /*color=*/false);
    });
    return 0;
}
