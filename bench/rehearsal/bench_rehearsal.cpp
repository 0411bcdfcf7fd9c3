// bench_rehearsal.cpp — the rehearsal buffer's cost per item: ns per offered item and per drawn
// item (draws of 32, a mini-batch's share) for rows of 64 f32 and capacity 2000, with reservoir
// and balanced selection in memory and reservoir with half of the slots in the spill file.
// `--smoke`: tiny sizes, only checks that every case runs (ctest runs it so that it cannot rot).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/streams/RehearsalBuffer.h"

using namespace xdml;
using runtime::RehearsalBuffer;
using runtime::Selection;
using Clock = std::chrono::steady_clock;

namespace {

struct Sizes {
    std::size_t rowFloats, capacity, offers, draws, batch;
};

struct Case {
    const char* name;
    Selection select;
    bool halfSpilled;
};

double nanosSince(Clock::time_point from) {
    return static_cast<double>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - from).count());
}

/// Offers `sizes.offers` items in mini-batches, then draws; prints both costs. False if a draw
/// came back short.
bool run(const Case& c, const Sizes& sizes, const std::filesystem::path& spillDir) {
    runtime::RehearsalConfig config;
    config.stream = std::string("bench_") + c.name;
    config.capacity = static_cast<int64_t>(sizes.capacity);
    config.select = c.select;
    config.seed = 2024;
    const std::size_t rowBytes = sizes.rowFloats * sizeof(float);
    if (c.halfSpilled) {
        config.memoryBytes = sizes.capacity / 2 * rowBytes;
        config.spillDir = spillDir;
    }
    RehearsalBuffer buffer(config, sizes.rowFloats);

    // A pool of distinct rows, cycled: generating rows must not be what is measured.
    const std::size_t pool = 4096;
    std::vector<float> rows(pool * sizes.rowFloats);
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>(i % 1000) * 0.001f;
    std::vector<int64_t> labels(sizes.batch), entities(sizes.batch), seqs(sizes.batch);

    auto offerSpan = [&](std::size_t from, std::size_t to) {
        for (std::size_t done = from; done < to; done += sizes.batch) {
            const std::size_t n = std::min(sizes.batch, to - done);
            const std::size_t first = done % (pool - sizes.batch);
            for (std::size_t i = 0; i < n; ++i) {
                labels[i] = static_cast<int64_t>((done + i) * 7919 % 10);  // 10 classes, interleaved
                entities[i] = seqs[i] = static_cast<int64_t>(done + i);
            }
            buffer.offer(rows.data() + first * sizes.rowFloats, labels.data(), entities.data(), seqs.data(),
                         n);
        }
    };
    // Filling admits every item; afterwards most are turned away, so both figures are shown.
    const std::size_t fill = std::min(sizes.capacity, sizes.offers);
    const auto fillStart = Clock::now();
    offerSpan(0, fill);
    const double fillNs = nanosSince(fillStart);
    offerSpan(fill, sizes.offers);
    const double offerNs = nanosSince(fillStart);

    const std::size_t k = 32;
    std::vector<float> out(k * sizes.rowFloats);
    std::vector<int64_t> outLabels(k), outEntities(k);
    const std::size_t want = std::min(k, buffer.size());
    bool ok = true;
    const auto drawStart = Clock::now();
    for (std::size_t d = 0; d < sizes.draws; ++d)
        ok = buffer.draw(k, d, out.data(), outLabels.data(), outEntities.data()) == want && ok;
    const double drawNs = nanosSince(drawStart);

    const auto stats = buffer.stats();
    std::printf(
        "%s offer: %.0f ns/item (%zu items in batches of %zu, %.1f%% admitted; %.0f ns/item while filling)\n",
        c.name, offerNs / static_cast<double>(sizes.offers), sizes.offers, sizes.batch,
        100.0 * static_cast<double>(stats.admitted) / static_cast<double>(stats.offered),
        fillNs / static_cast<double>(fill));
    std::printf("%s draw: %.0f ns/item (%zu draws of %zu, %zu of %zu slots spilled)\n", c.name,
                drawNs / static_cast<double>(sizes.draws * want), sizes.draws, k, buffer.spilledItems(),
                sizes.capacity);
    return ok && buffer.size() == std::min(sizes.capacity, sizes.offers);
}

}  // namespace

int main(int argc, char** argv) {
    const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
    if (argc > 1 && !smoke) {
        std::fprintf(stderr, "usage: bench_rehearsal [--smoke]\n");
        return 2;
    }
    const Sizes sizes = smoke ? Sizes{8, 20, 500, 50, 32} : Sizes{64, 2000, 1000000, 100000, 32};

    std::string pattern = (std::filesystem::temp_directory_path() / "xdml_bench_rehearsal_XXXXXX").string();
    if (!::mkdtemp(pattern.data())) {
        std::perror("mkdtemp");
        return 1;
    }
    const std::filesystem::path spillDir = pattern;

    std::printf("rows of %zu f32 (%zu bytes), capacity %zu\n", sizes.rowFloats,
                sizes.rowFloats * sizeof(float), sizes.capacity);
    const Case cases[] = {{"reservoir", Selection::Reservoir, false},
                          {"balanced", Selection::Balanced, false},
                          {"reservoir-half-spilled", Selection::Reservoir, true}};
    bool ok = true;
    for (const Case& c : cases) {
        try {
            ok = run(c, sizes, spillDir) && ok;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s: %s\n", c.name, e.what());
            ok = false;
        }
    }
    std::error_code ignored;
    std::filesystem::remove_all(spillDir, ignored);
    if (!ok) std::fprintf(stderr, "bench_rehearsal: a case did not run as expected\n");
    return ok ? 0 : 1;
}
