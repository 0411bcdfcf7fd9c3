// FlowGenerator.cpp — one unit of a realistic flow (an SSX-like pipeline, ~60 lines), repeated
// with fresh names until the flow is long enough.
#include "FlowGenerator.h"

#include <algorithm>
#include <string>

namespace xdml::bench {

namespace {

/// Replaces every `$` in `pattern` with `k`.
std::string instantiate(const std::string& pattern, std::size_t k) {
    std::string out, id = std::to_string(k);
    out.reserve(pattern.size() + 64 * id.size());
    for (char c : pattern) {
        if (c == '$') out += id;
        else out += c;
    }
    return out;
}

const char* const kUnit = R"(// ---- unit $
site edge$ { cores: 8, gpus: 1, memory: 32GiB, storage: 2TB }
link edge$ <-> hub { bandwidth: 25Gbps, latency: 2ms }
const N$ = 64;
const TH$ = 0.5 + 0.25 / 10.0;
type Frame$ = tensor<f32>[N$, N$];
type Crop$ = tensor<f32>[32, 32];
type Hit$ = Frame$ where score$(it) > TH$;
type Rec$ = { id: int, score: float, cls: string, t: duration, size: bytes };
type Lab$ = { x: Crop$, y: int };
/// Fraction of bright pixels.
fn score$(f: Frame$) -> float = mean(f > 0.5 * max(f));
fn crop$(f: Frame$) -> Crop$ = f[16:48, 16:48];
fn norm$(c: Crop$) -> Crop$ = clamp((c - mean(c)) / (max(c) - min(c) + 1e-6), 0.0, 1.0);
fn gen$(i: int) -> Frame$ = noise(Frame$, i) * 0.5 + (i % 3 == 0 ? 2.0 : 0.0);
fn blend$(a: Crop$, b: Crop$, w: float) -> Crop$ = a * w + b * (1.0 - w);
fn energy$(c: Crop$) -> float = sum(c * c) / 1024.0 + sqrt(abs(mean(c)));
fn wait$(n: int) -> duration = 10ms * n + 2s;
stream frames$: Frame$ from generate(gen$, 100) at edge$;
stream labs$: Lab$ rehearse { capacity: 256, select: reservoir, mix: 0.5, memory: 64MiB };
model finder$ { input: Crop$, classes: ["blank", "crystal"], arch: mlp(hidden: [32, 16]), at: edge$ }
catalog hits$: Rec$ at "hits$.db";
policy quick$ { deadline: 2s, priority: 10, locality: edge$ }
policy slow$ = quick$ with { deadline: 2h, priority: 1, limit: { cores: 4 } }
policy fit$ { until: accuracy >= 0.9, max_epochs: 20, batch: 32, lr: 0.01, optimizer: adam }
/// Indexes one hit.
task index$(f: Hit$) -> Rec$ @ quick$ {
    let c = norm$(crop$(f));
    let e = energy$(c);
    return { id: seq(f), score: score$(f) + e, cls: finder$(c), t: wait$(seq(f)), size: 4KiB * 2 };
}
task label$(f: Frame$) -> Lab$ @ slow$ {
    let c = crop$(f);
    if score$(f) > TH$ {
        log "hit {seq(f)}: {score$(f)}";
    } else if score$(f) > TH$ / 2.0 {
        log "weak {seq(f)}";
    } else {
        log "blank {seq(f)}";
    }
    return { x: blend$(c, norm$(c), 0.25), y: score$(f) > TH$ ? 1 : 0 };
}
flow pipeline$ @ slow$ {
    on new data of type Frame$ in frames$ as f {
        emit label$(f) to labs$;
    }
    on new data of type Hit$ in frames$ as h @ quick$ {
        record index$(h) in hits$;
    }
    on new data of type Lab$ in labs$ every 64 @ { priority: 1 } {
        train finder$ on labs$ @ fit$;
    }
    on end of frames$ {
        for i in [1, 2, 3] {
            log "round {i}: {count(hits$)}";
        }
        log "done: {count(hits$)} hits, model version {version(finder$)}";
    }
}

)";

const char* const kHeader = R"(/// A generated flow for the compile benchmark.
import std.ml;

site hub { cores: 2048, gpus: 64, memory: 512GiB, storage: 1PB }

)";

}  // namespace

std::size_t countLines(const std::string& text) {
    return std::size_t(std::count(text.begin(), text.end(), '\n'));
}

namespace {
const char* const kScalingHead = "fn reading(i: int) -> float = 0.5 * i;\n"
                                 "stream readings: float from generate(reading, 10);\n"
                                 "task step(x: float) -> float { return x + 1.0; }\n";
}  // namespace

std::string generateChain(std::size_t calls) {
    std::string out = std::string(kScalingHead) + "flow chain {\n    on new data of type float in readings as r {\n";
    out += "        let v0 = step(r);\n";
    for (std::size_t i = 1; i < calls; ++i)
        out += "        let v" + std::to_string(i) + " = step(v" + std::to_string(i - 1) + ");\n";
    out += "        log \"{v" + std::to_string(calls == 0 ? 0 : calls - 1) + "}\";\n    }\n}\n";
    return out;
}

std::string generateListLiteral(std::size_t bytes) {
    std::string out = "fn table() -> list<float> = [";
    for (std::size_t i = 0; out.size() < bytes; ++i) {
        const std::string n = std::to_string(i);
        out += (i ? ", " : "") + (i % 3 == 0 ? n : i % 3 == 1 ? n + ".5" : "-" + n);
    }
    return out + "];\n";
}

std::string generateHandlers(std::size_t handlers) {
    std::string out = std::string(kScalingHead) + "flow many {\n";
    for (std::size_t i = 0; i < handlers; ++i)
        out += "    on new data of type float in readings as r {\n        let a = step(r);\n        log \"h" +
               std::to_string(i) + " {step(a)}\";\n    }\n";
    return out + "}\n";
}

std::string generatePlacement(std::size_t tasks) {
    // The hub comes first: the home site, where the catalog's records are written.
    std::string out = "site hub { cores: 64, memory: 64GiB, storage: 1PB }\n"
                      "site edge { cores: 8, memory: 8GiB, storage: 1TB }\n"
                      "link edge <-> hub { bandwidth: 10Gbps, latency: 2ms }\n"
                      "type Frame = tensor<f32>[64, 64];\n"
                      "type Row = { id: int, v: float };\n"
                      "fn frame(i: int) -> Frame = noise(Frame, i);\n"
                      "stream frames: Frame from generate(frame, 10) at edge;\n"
                      "catalog rows: Row at \"rows.db\";\n"
                      "task part(f: Frame, k: float) -> float { return sum(f) * k; }\n"
                      "task merge(a: float, b: float) -> float { return a + b; }\n"
                      "flow wide {\n    on new data of type Frame in frames as f {\n"
                      "        let b0 = part(f, 0.0);\n";
    for (std::size_t i = 1; i < tasks; ++i) {
        const std::string k = std::to_string(i), previous = std::to_string(i - 1);
        out += "        let a" + k + " = part(f, " + k + ".0);\n        let b" + k + " = merge(b" + previous + ", a" + k +
               ");\n";
    }
    out += "        record { id: seq(f), v: b" + std::to_string(tasks == 0 ? 0 : tasks - 1) + " } in rows;\n    }\n}\n";
    return out;
}

std::string generateFlow(std::size_t lines) {
    std::string out = kHeader;
    std::size_t have = countLines(out), unitLines = countLines(kUnit);
    for (std::size_t k = 0; have + unitLines / 2 < lines; ++k, have += unitLines) out += instantiate(kUnit, k);
    return out;
}

}  // namespace xdml::bench
