// bench_jit.cpp — the JIT's figures, side by side in one run (bench/README.md):
// 1. a hit finder over 512×512 f32 frames (background subtraction, threshold, count), as one
//    fused kernel: items/s and GB/s for the JIT, the interpreter, a hand-written C++ loop built
//    with -O3 -march=native, and memcpy of the same bytes (the memory-bandwidth limit);
// 2. the dispatch of a scalar refinement predicate per item;
// 3. the compile latency of every kernel (the hit finder, the predicate, the examples' fns).
// Frames cycle through a pool larger than the caches, as frames from a detector would.
#include "HandLoop.h"

#include "driver/Frontend.h"
#include "jit/Jit.h"
#include "jit/Kernels.h"
#include "plan/Code.h"
#include "runtime/interp/Evaluate.h"
#include "runtime/numerics/Philox.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace xdml;
using runtime::Value;
using Clock = std::chrono::steady_clock;

namespace {

const char* kFlow = R"(
type Frame = tensor<f32>[512, 512];
type Reading = { value: float, gain: float };
type Bright = Reading where it.value * it.gain > 0.5;
const THRESHOLD = 3.0;
/// The hit finder: pixels brighter than the background by more than THRESHOLD.
fn hits(frame: Frame, background: Frame) -> int = count(frame - background > THRESHOLD);
)";

runtime::Program programOf(const std::string& text, const std::string& name) {
    SourceManager sources;
    Diagnostics diags(sources);
    auto program = driver::compile(name, sources, diags, driver::FrontendOptions{}, &text);
    if (!program || diags.hasErrors()) {
        diags.render(std::cerr, false, 100);
        std::exit(1);
    }
    return runtime::Program::fromCode(nlohmann::json::parse(plan::codeJson(*program).dump()));
}

double seconds(Clock::time_point from) { return std::chrono::duration<double>(Clock::now() - from).count(); }

/// Calls `body(i)` for i = 0, 1, ... until `minimum` seconds have passed (at least `least`
/// calls); the seconds per call. The clock is read once per batch, never per call: in a VM a
/// clock read can cost more than the call being measured.
template <typename F>
double perCall(double minimum, int least, F body) {
    const auto start = Clock::now();
    long n = 0;
    for (long batch = 1;; batch *= 2) {
        for (long end = n + batch; n < end;) body(n++);
        if (n >= least && seconds(start) >= minimum) break;
    }
    return seconds(start) / static_cast<double>(n);
}

Value frameOf(int64_t seed, float offset) {
    runtime::Tensor t = runtime::Tensor::zeros(runtime::ElemType::F32, {512, 512});
    runtime::fillNormal(seed, 0, t.data<float>(), t.count());
    for (std::size_t i = 0; i < t.count(); ++i) t.data<float>()[i] = t.data<float>()[i] * 2.0f + offset;
    return Value::tensor(std::move(t));
}

std::string readFile(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void row(const char* what, double secondsPerItem, double bytesPerItem, const char* note = "") {
    std::printf("  %-34s %12.0f items/s %9.2f GB/s %10.1f us/item  %s\n", what, 1.0 / secondsPerItem,
                bytesPerItem / secondsPerItem / 1e9, secondsPerItem * 1e6, note);
}

}  // namespace

int main(int argc, char** argv) {
    int pool = 48;           // distinct frames cycled through (48 MiB of f32 512×512)
    double minimum = 1.0;    // seconds per measurement
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--smoke") {
            pool = 2;
            minimum = 0.01;
        } else if (a == "--seconds" && i + 1 < argc) {
            minimum = std::atof(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: bench_jit [--smoke] [--seconds S]\n");
            return 2;
        }
    }
    double load[3] = {0, 0, 0};
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
        std::fclose(f);
    }

    const auto jitStart = Clock::now();
    jit::Jit& jit = jit::Jit::instance();
    const double startupMs = seconds(jitStart) * 1e3;
    std::printf("bench_jit: host CPU %s, load average %.2f, frames 512x512 f32, pool of %d frames\n", jit.cpu().c_str(), load[0], pool);

    runtime::Program program = programOf(kFlow, "bench.xdml");
    jit::Kernels kernels(program);
    kernels.compileAll([](int line, const std::string& message) { std::fprintf(stderr, "bench.xdml:%d: %s\n", line, message.c_str()); });
    const runtime::FnDecl& hits = *program.fn("hits");

    std::vector<Value> frames;
    for (int i = 0; i < pool; ++i) frames.push_back(frameOf(i, i % 3 == 0 ? 1.5f : 0.0f));
    const Value background = frameOf(1000, 0.0f);
    const std::size_t n = 512 * 512;
    const double bytes = 2.0 * n * sizeof(float);  // a frame and the background, read once

    // Every mode must agree before any is timed.
    runtime::Evaluator interpreter(program);
    for (int i = 0; i < std::min(pool, 4); ++i) {
        const int64_t interpreted = interpreter.interpret(hits, {frames[i], background}).asInt();
        auto compiled = kernels.callFn(hits, {frames[i], background});
        const int64_t hand = bench::handHitCount(frames[i].asTensor().data<float>(), background.asTensor().data<float>(), n, 3.0f);
        if (!compiled || compiled->asInt() != interpreted || hand != interpreted) {
            std::fprintf(stderr, "bench_jit: the modes disagree on frame %d: interpreted %lld, compiled %s, by hand %lld\n", i,
                         static_cast<long long>(interpreted), compiled ? std::to_string(compiled->asInt()).c_str() : "(none)",
                         static_cast<long long>(hand));
            return 1;
        }
    }

    std::printf("\n1. hit finder  count(frame - background > 3.0)  (one fused kernel)\n");
    volatile int64_t sink = 0;
    const std::vector<Value>* pool_ = &frames;
    const double jitT = perCall(minimum, 20, [&](long i) { sink = kernels.callFn(hits, {(*pool_)[i % pool], background})->asInt(); });
    const double interpT = perCall(minimum, 3, [&](long i) { sink = interpreter.interpret(hits, {(*pool_)[i % pool], background}).asInt(); });
    const float* bg = background.asTensor().data<float>();
    const double handT = perCall(minimum, 20, [&](long i) {
        sink = bench::handHitCount((*pool_)[i % pool].asTensor().data<float>(), bg, n, 3.0f);
    });
    std::vector<float> copyTo(2 * n);
    const double copyT = perCall(minimum, 20, [&](long i) {
        std::memcpy(copyTo.data(), (*pool_)[i % pool].asTensor().data<float>(), n * sizeof(float));
        std::memcpy(copyTo.data() + n, bg, n * sizeof(float));
        sink = static_cast<int64_t>(copyTo[i % n]);
    });
    (void)sink;
    row("JIT (xdmlc, LLVM ORC, O2)", jitT, bytes);
    row("interpreter", interpT, bytes);
    row("hand-written C++ (-O3 -march=native)", handT, bytes);
    row("memcpy of the same bytes", copyT, bytes, "(the bandwidth limit; it also writes them)");
    const double ofHand = handT / jitT, overInterp = interpT / jitT;
    std::printf("  JIT / hand-written: %5.1f%%   goal >= 85%%   %s\n", 100 * ofHand, ofHand >= 0.85 ? "PASS" : "MISS");
    std::printf("  JIT / interpreter:  %5.1fx   goal >= 20x   %s   (hand-written / interpreter: %.1fx, the most any code reaches)\n",
                overInterp, overInterp >= 20 ? "PASS" : "MISS", interpT / handT);
    std::printf("  JIT / memcpy:       %5.1f%%   (of the bandwidth limit)\n", 100 * copyT / jitT);

    std::printf("\n2. scalar refinement predicate  type Bright = Reading where it.value * it.gain > 0.5\n");
    const runtime::TypeDecl& bright = *program.type("Bright");
    std::vector<Value> readings;
    for (int i = 0; i < 64; ++i) {
        runtime::RecordValue r;
        r.fields = {{"value", Value::float64(0.1 * i)}, {"gain", Value::float64(0.25)}};
        readings.push_back(Value::record(std::move(r)));
    }
    long yes = 0;
    const double dispatch = perCall(minimum, 1000, [&](long i) { yes += *kernels.where(bright, readings[i & 63]); });
    runtime::Evaluator compiled(program, nullptr, &kernels);
    const double throughEvaluator = perCall(minimum, 1000, [&](long i) { yes += compiled.refines("Bright", readings[i & 63]); });
    const double interpretedWhere = perCall(minimum, 1000, [&](long i) { yes += interpreter.refines("Bright", readings[i & 63]); });
    std::printf("  compiled, Kernels::where          %8.1f ns/item   goal <= 50 ns   %s\n", dispatch * 1e9, dispatch * 1e9 <= 50 ? "PASS" : "MISS");
    std::printf("  compiled, through Evaluator::refines %5.1f ns/item   (the runtime's path)\n", throughEvaluator * 1e9);
    std::printf("  interpreted, Evaluator::refines   %8.1f ns/item\n", interpretedWhere * 1e9);
    if (yes < 0) std::printf("%ld\n", yes);

    std::printf("\n3. compile latency per kernel (lower + O2 + code generation; LLJIT start-up once: %.1f ms)\n", startupMs);
    double worst = 0;
    auto show = [&](const std::string& file, const std::vector<jit::KernelStatus>& status) {
        for (const jit::KernelStatus& s : status) {
            if (!s.compiled) {
                std::printf("  %-14s %-26s not compiled: %s\n", file.c_str(), s.what.c_str(), s.reason.c_str());
                continue;
            }
            if (!s.cached) worst = std::max(worst, s.compileMs);
            std::printf("  %-14s %-26s %7.2f ms%s\n", file.c_str(), s.what.c_str(), s.compileMs, s.cached ? "  (cached)" : "");
        }
    };
    show("bench.xdml", kernels.status());
    const std::filesystem::path examples = XDML_EXAMPLES_DIR;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(examples))
        if (entry.path().extension() == ".xdml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        runtime::Program p = programOf(readFile(file), file.filename().string());
        jit::Kernels k(p);
        k.compileAll();
        show(file.filename().string(), k.status());
    }
    std::printf("  slowest kernel: %.2f ms   goal <= 20 ms   %s\n", worst, worst <= 20 ? "PASS" : "MISS");
    return 0;
}
