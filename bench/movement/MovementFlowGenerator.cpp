// MovementFlowGenerator.cpp — one unit of a four-phase pipeline spread over sites (capture at
// the stream's site, analysis at a fixed site, labelling and indexing where the data are,
// training where the model is), repeated with fresh names and rotated site roles.
#include "MovementFlowGenerator.h"

#include <string>

namespace xdml::bench {

namespace {

/// Replaces `$` with `k` and `{A}`..`{D}` with the names of the sites playing those roles.
std::string instantiate(const std::string& pattern, std::size_t k, const std::string (&roles)[4]) {
    std::string out, id = std::to_string(k);
    out.reserve(pattern.size() + 64 * id.size());
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '$') {
            out += id;
        } else if (c == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}' && pattern[i + 1] >= 'A' &&
                   pattern[i + 1] <= 'D') {
            out += roles[pattern[i + 1] - 'A'];
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

// Roles: A holds the raw stream and the capture task, B the fixed analysis, C the model (and
// the training), D receives explicit transfers of hits. Catalogs live at the home site.
const char* const kUnit = R"(// ---- unit $
type Raw$ = tensor<f32>[128, 128];
type Crop$ = tensor<f32>[64, 64];
type Hit$ = Raw$ where score$(it) > 0.5;
type Meta$ = { id: int, total: float, peak: float };
type Sample$ = { x: Crop$, y: int };
fn gen$(i: int) -> Raw$ = noise(Raw$, i) * 0.1 + (i % 2 == 0 ? 1.0 : 0.0);
fn crop$(r: Raw$) -> Crop$ = r[32:96, 32:96];
fn denoise$(c: Crop$) -> Crop$ = clamp(c - 0.05, 0.0, 10.0);
fn normalize$(c: Crop$) -> Crop$ = c / (max(c) + 1e-6);
fn score$(r: Raw$) -> float = mean(r > 0.5);
fn energy$(c: Crop$) -> float = sum(c * c) / 4096.0;
stream raw$: Raw$ from generate(gen$, 100) at {A};
stream crops$: Crop$;
stream samples$: Sample$ rehearse { capacity: 64, select: balanced, mix: 0.3 };
catalog meta$: Meta$ at "meta$.db";
model m$ { input: Crop$, classes: 2, arch: mlp(hidden: [16]), at: {C} }
policy at$ { deadline: 5s, locality: {A} }
policy near$ { locality: data }
task capture$(r: Raw$) -> Crop$ @ at$ { return normalize$(denoise$(crop$(r))); }
task summarize$(id: int, c: Crop$) -> Meta$ @ near$ { return { id: id, total: sum(c), peak: max(c) }; }
task refine$(c: Crop$) -> Crop$ @ near$ { let d = denoise$(c); return normalize$(d); }
task analyze$(c: Crop$) -> Crop$ @ { locality: {B} } { return normalize$(c * 2.0); }
task label$(c: Crop$) -> Sample$ @ near$ { return { x: c, y: energy$(c) > 0.5 ? 1 : 0 }; }
task reduce$(c: Crop$) -> float { return mean(c) + max(c); }
task index$(h: Hit$) -> Meta$ @ near$ { let c = crop$(h); return { id: seq(h), total: energy$(c), peak: max(c) }; }
flow pipe$ {
    on new data of type Raw$ in raw$ as r {
        let c = capture$(r);
        record summarize$(seq(r), c) in meta$;
        emit refine$(c) to crops$;
    }
    on new data of type Crop$ in crops$ as c {
        let a = analyze$(c);
        emit label$(a) to samples$;
        if reduce$(a) > 1.0 {
            log "bright {energy$(a)}";
        }
    }
    on new data of type Hit$ in raw$ as h {
        record index$(h) in meta$;
        transfer h to {D};
    }
    on new data of type Sample$ in samples$ every 16 {
        train m$ on samples$ @ { max_epochs: 2, locality: {C} };
    }
    on end of raw$ { log "done: {count(meta$)} {m$(crop$(gen$(1)))}"; }
}

)";

}  // namespace

std::string generateMovementFlow(std::size_t units, std::size_t sites) {
    if (sites < 2) sites = 2;
    std::string out = "/// A generated flow for the data-movement benchmark.\nimport std.ml;\n\n";
    for (std::size_t s = 0; s < sites; ++s) {
        // Site 0 (the home site, with the catalogs) is small, like an edge machine.
        out += "site s" + std::to_string(s) + " { cores: " + std::to_string(s == 0 ? 4 : 64 << (s % 5)) +
               ", gpus: " + std::to_string(s == 0 ? 0 : 2 * s) + ", memory: 256GiB, storage: 100TB }\n";
    }
    static const char* const kBandwidths[] = {"10Gbps", "25Gbps", "1Gbps", "100Gbps"};
    std::size_t l = 0;
    for (std::size_t a = 0; a < sites; ++a)
        for (std::size_t b = a + 1; b < sites; ++b, ++l)
            out += "link s" + std::to_string(a) + " <-> s" + std::to_string(b) + " { bandwidth: " + kBandwidths[l % 4] +
                   ", latency: " + std::to_string(1 + l % 20) + "ms }\n";
    out += "\n";
    for (std::size_t k = 0; k < units; ++k) {
        std::string roles[4];
        for (std::size_t r = 0; r < 4; ++r) roles[r] = "s" + std::to_string((k + r + 1) % sites);
        out += instantiate(kUnit, k, roles);
    }
    return out;
}

}  // namespace xdml::bench
