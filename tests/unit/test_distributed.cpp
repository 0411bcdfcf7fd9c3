// test_distributed.cpp — the distributed run's parts that need no MPI: the rank layout, the
// chunking of messages (and its refusal of malformed chunks), the launcher's detection from
// the environment, and the messages rank 0 and the site controllers exchange.
#include "runtime/distributed/CallMessages.h"
#include "runtime/distributed/Chunks.h"
#include "runtime/distributed/HandlerThreads.h"
#include "runtime/distributed/Launcher.h"
#include "runtime/distributed/MessageBatch.h"
#include "runtime/distributed/RankLayout.h"
#include "runtime/engine/MessageCodec.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>

using namespace xdml::runtime;
using namespace xdml::runtime::distributed;

namespace {

std::vector<SiteInfo> sites(std::vector<std::pair<std::string, int64_t>> named) {
    std::vector<SiteInfo> out;
    for (auto& [name, cores] : named) out.push_back(SiteInfo{name, cores, 0, 0, 0});
    return out;
}

std::function<const char*(const char*)> environment(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const char* name) -> const char* {
        auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
}

}  // namespace

TEST_CASE("without a profile, ranks 1..N-1 are shared among the sites in plan order") {
    const RankLayout four = layoutRanks(sites({{"edge", 2}, {"hpc", 0}}), 4, nullptr, 8);
    REQUIRE(four.sites.size() == 2);
    CHECK(four.sites[0].site == "edge");
    CHECK(four.sites[0].ranks == std::vector<int>{1, 2});
    CHECK(four.sites[0].workRanks() == std::vector<int>{2});
    CHECK(four.sites[0].threadsPerRank == 2);
    CHECK(four.sites[1].ranks == std::vector<int>{3});
    CHECK(four.sites[1].workRanks() == std::vector<int>{3});  // one rank: the controller works
    CHECK(four.sites[1].threadsPerRank == 8);
    CHECK(four.localSites.empty());
    CHECK(four.siteOf(2)->site == "edge");
    CHECK(four.siteOf(0) == nullptr);

    const RankLayout two = layoutRanks(sites({{"a", 1}, {"b", 1}, {"c", 1}}), 2, nullptr, 8);
    REQUIRE(two.sites.size() == 1);
    CHECK(two.sites[0].ranks == std::vector<int>{1});
    CHECK(two.localSites == std::vector<std::string>{"b", "c"});
    CHECK_THAT(two.describe(), Catch::Contains("site b: on rank 0's local worker pool"));

    const RankLayout round = RankLayout::fromJson(four.toJson());
    CHECK(round.toJson() == four.toJson());
}

xdml::deploy::SiteBinding binding(const std::string& site, xdml::deploy::Placement placement, int ranks, int threads,
                                  int cores) {
    xdml::deploy::SiteBinding b;
    b.site = site;
    b.placement = placement;
    b.ranks = ranks;
    b.threadsPerRank = threads;
    b.cores = cores;
    return b;
}

TEST_CASE("a profile gives each mpi-bound site its ranks and threads, and too few ranks is an error") {
    xdml::deploy::Profile p;
    p.name = "cluster";
    p.sites["hpc"] = binding("hpc", xdml::deploy::Placement::Mpi, 3, 4, 12);
    p.sites["edge"] = binding("edge", xdml::deploy::Placement::Local, 1, 0, 2);
    const RankLayout l = layoutRanks(sites({{"edge", 2}, {"hpc", 64}}), 6, &p, 2);
    REQUIRE(l.sites.size() == 1);
    CHECK(l.sites[0].ranks == std::vector<int>{1, 2, 3});
    CHECK(l.sites[0].threadsPerRank == 4);
    CHECK(l.sites[0].slots() == 8);
    CHECK(l.localSites == std::vector<std::string>{"edge"});
    CHECK(l.idleRanks == std::vector<int>{4, 5});
    CHECK(l.sites[0].prefetch == 0);
    p.sites["hpc"].prefetch = 3;
    const RankLayout held = RankLayout::fromJson(layoutRanks(sites({{"edge", 2}, {"hpc", 64}}), 6, &p, 2).toJson());
    CHECK(held.sites[0].prefetch == 3);
    CHECK_THAT(held.describe(), Catch::Contains("4 threads per rank, prefetch 3"));
    CHECK_THROWS_WITH(layoutRanks(sites({{"edge", 2}, {"hpc", 64}}), 3, &p, 2),
                      Catch::Contains("binds site hpc to 3 ranks, but the job has only 2 ranks left"));
}

namespace {

/// A message's chunks as they cross: the first, then the others' bytes.
std::vector<std::string> chunksOf(std::string_view head, std::string_view body, uint64_t id, std::size_t chunkBytes) {
    ChunkedMessage m = splitIntoChunks(head, body, id, chunkBytes);
    std::vector<std::string> out{m.first};
    for (std::string_view part : m.rest) out.emplace_back(part);
    return out;
}

}  // namespace

TEST_CASE("a message crosses in chunks and is joined again, whatever its size") {
    const std::string head = "framing++";  // 9 bytes, as a mailbox's call id and frame byte
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, kWholeMessageBytes - 9, kWholeMessageBytes - 8,
                             kWholeMessageBytes + 640, kWholeMessageBytes + 641}) {
        std::string body(size, '\0');
        for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>(i * 7);
        const auto chunks = chunksOf(head, body, 42, 64);
        const bool whole = head.size() + size <= kWholeMessageBytes;
        CHECK(chunks.size() == (whole ? 1 : 1 + (size + 63) / 64));
        CHECK(chunks[0].size() == kChunkHeaderBytes + head.size() + (whole ? size : 0));
        ChunkJoiner joiner;
        std::optional<std::string> got;
        for (std::size_t i = 0; i < chunks.size(); ++i) {
            if (i > 0) CHECK(chunks[i].size() <= 64);
            got = joiner.add(1, 5, chunks[i]);
            CHECK(got.has_value() == (i + 1 == chunks.size()));
        }
        CHECK(*got == head + body);
        CHECK(joiner.partial() == 0);
    }
}

TEST_CASE("a large message's body is sent from where it is and received straight into place") {
    const std::string body(70000, 'v');
    ChunkedMessage m = splitIntoChunks("hd", body, 7, 32768);
    REQUIRE(m.rest.size() == 3);
    CHECK(m.rest[0].data() == body.data());  // views into the body: nothing copied
    CHECK(m.rest[2].size() == 70000 - 2 * 32768);
    ChunkJoiner joiner;
    CHECK(joiner.continuation(2, 6, 32768) == nullptr);  // nothing open: it would start a message
    CHECK_FALSE(joiner.start(2, 6, m.first));
    for (std::size_t i = 0; i < m.rest.size(); ++i) {
        char* place = joiner.continuation(2, 6, m.rest[i].size());
        REQUIRE(place != nullptr);
        std::copy(m.rest[i].begin(), m.rest[i].end(), place);
        const auto whole = joiner.received(2, 6, m.rest[i].size());
        CHECK(whole.has_value() == (i + 1 == m.rest.size()));
        if (whole) CHECK(*whole == "hd" + body);
    }
}

TEST_CASE("chunks of messages from different ranks and tags interleave") {
    const auto a = chunksOf("", std::string(150000, 'a'), 1, 65536);  // the first and 3 more
    const auto b = chunksOf("", std::string(100000, 'b'), 1, 65536);  // the first and 2 more
    ChunkJoiner joiner;
    CHECK_FALSE(joiner.add(1, 3, a[0]));
    CHECK_FALSE(joiner.add(2, 3, b[0]));
    CHECK_FALSE(joiner.add(1, 3, a[1]));
    CHECK_FALSE(joiner.add(2, 3, b[1]));
    CHECK(*joiner.add(2, 3, b[2]) == std::string(100000, 'b'));
    CHECK_FALSE(joiner.add(1, 3, a[2]));
    CHECK(*joiner.add(1, 3, a[3]) == std::string(150000, 'a'));
}

TEST_CASE("malformed chunks are refused with a clear error") {
    ChunkJoiner joiner;
    CHECK_THROWS_WITH(joiner.add(1, 2, "short"), Catch::Contains("shorter than a chunk's header"));
    std::string wrongMark = chunksOf("", "hello", 1, 64)[0];
    wrongMark[0] = 'Z';
    CHECK_THROWS_WITH(joiner.add(1, 2, wrongMark), Catch::Contains("a wrong mark"));
    const auto four = chunksOf("", std::string(150000, 'x'), 9, 65536);
    std::string wrongCount = four[0];
    wrongCount[12] = 5;  // the chunk count: 150,000 bytes after the first need 3 chunks of 65,536, not 4
    CHECK_THROWS_WITH(joiner.add(1, 2, wrongCount), Catch::Contains("150000 bytes in 5 chunks"));
    CHECK_FALSE(joiner.add(1, 2, four[0]));
    CHECK_THROWS_WITH(joiner.add(1, 2, four[3]), Catch::Contains("18928 bytes where chunk 1/4 of message 9 (65536 bytes) was due"));
    CHECK_THROWS_AS(decodeSubmit("\x01\x02"), MessageError);
    CHECK_THROWS_AS(decodeStatus(std::string(3, '\xff')), MessageError);
}

TEST_CASE("submit and status messages cross unchanged") {
    TaskRequest r;
    r.task = "nap";
    r.site = "far";
    r.policy.priority = 4;
    const Submitted s = decodeSubmit(encodeSubmit(77, SubmitHow::Now, r));
    CHECK(s.id == 77);
    CHECK(s.how == SubmitHow::Now);
    CHECK(s.request.task == "nap");
    CHECK(s.request.policy.priority == 4);
    const SiteStatus st = decodeStatus(encodeStatus(SiteStatus{"far", 6, 2, 9, 0.25, 1.5}));
    CHECK(st.site == "far");
    CHECK(st.capacity == 6);
    CHECK(st.running == 2);
    CHECK(st.queued == 9);
    CHECK(st.meanJobSeconds == 0.25);
    CHECK(st.estimatedWait == 1.5);
}

TEST_CASE("the messages of a call cross unchanged, and malformed ones are refused") {
    const Started st = decodeStart(encodeStart(Started{12, 3}));
    CHECK(st.id == 12);
    CHECK(st.rank == 3);
    TaskRequest r;
    r.task = "nap";
    r.site = "far";
    r.attempt = 2;
    r.args.push_back(DatumMessage{});
    r.args.back().value = Value::integer(41);
    const Go go = decodeGo(encodeGo(13, true, r));
    CHECK(go.id == 13);
    CHECK(go.now);
    CHECK(go.request.attempt == 2);
    REQUIRE(go.request.args.size() == 1);
    CHECK(go.request.args[0].value.asInt() == 41);
    TaskOutcome o;
    o.ok = true;
    o.result.value = Value::integer(42);
    const Done d = decodeDone(encodeDone(14, o));
    CHECK(d.id == 14);
    CHECK(d.outcome.ok);
    CHECK(d.outcome.result.value.asInt() == 42);
    const Ended e = decodeEnded(encodeEnded(Ended{15, true}));
    CHECK(e.id == 15);
    CHECK(e.again);
    CHECK_THROWS_WITH(decodeStart("\x01"), Catch::Contains("a start message"));
    CHECK_THROWS_WITH(decodeEnded(std::string(8, '\0') + "\x07"), Catch::Contains("flag"));
    CHECK_THROWS_AS(decodeGo(encodeGo(1, false, r).substr(0, 20)), MessageError);
    CHECK_THROWS_AS(decodeDone(encodeDone(1, o) + "x"), MessageError);
}

TEST_CASE("the launcher and its MPI are read from the environment") {
    CHECK_FALSE(detectLaunch(environment({})).distributed());
    CHECK_FALSE(detectLaunch(environment({{"OMPI_COMM_WORLD_SIZE", "1"}})).distributed());
    const LaunchInfo ompi = detectLaunch(environment({{"OMPI_COMM_WORLD_SIZE", "4"}}));
    CHECK(ompi.distributed());
    CHECK(ompi.tasks == 4);
    CHECK(ompi.mpi == "openmpi");
    const LaunchInfo hydra = detectLaunch(environment({{"PMI_SIZE", "3"}, {"PMI_RANK", "0"}}));
    CHECK(hydra.mpi == "mpich");
    CHECK(hydra.tasks == 3);
    const LaunchInfo pmi2 = detectLaunch(environment({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_MPI_TYPE", "pmi2"}, {"PMI_SIZE", "2"}}));
    CHECK(pmi2.mpi == "mpich");
    CHECK(pmi2.launcher == "srun --mpi=pmi2");
    const LaunchInfo pmix = detectLaunch(environment({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_MPI_TYPE", "pmix"}, {"PMIX_RANK", "0"}}));
    CHECK(pmix.mpi == "openmpi");
    const LaunchInfo chosen = detectLaunch(environment({{"SLURM_STEP_NUM_TASKS", "4"}, {"SLURM_MPI_TYPE", "pmix"}, {"XDML_MPI", "mpich"}}));
    CHECK(chosen.mpi == "mpich");
    CHECK_THAT(singletonProblem(chosen, 1), Catch::Contains("singletons"));
    CHECK(singletonProblem(chosen, 4).empty());
    CHECK_THAT(detectLaunch(environment({{"XDML_MPI", "lam"}})).error, Catch::Contains("openmpi or mpich"));
    CHECK_THAT(detectLaunch(environment({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_MPI_TYPE", "none"}})).error,
               Catch::Contains("XDML_MPI"));
}

TEST_CASE("a batch of messages comes apart in its order, and a malformed one is refused") {
    MessageBatch batch;
    batch.add(Tag::Submit, "first");
    batch.add(Tag::Status, std::string(1000, 's'));
    batch.add(Tag::Reply, "");
    REQUIRE(batch.size() == 3);
    const auto parts = MessageBatch::decode(batch.encode(), 1);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0] == std::make_pair(Tag::Submit, std::string("first")));
    CHECK(parts[1] == std::make_pair(Tag::Status, std::string(1000, 's')));
    CHECK(parts[2] == std::make_pair(Tag::Reply, std::string()));

    const std::string whole = batch.encode();
    CHECK_THROWS_AS(MessageBatch::decode(whole.substr(0, whole.size() - 1), 1), MessageError);
    CHECK_THROWS_AS(MessageBatch::decode(whole + "x", 1), MessageError);
    MessageBatch nested;
    nested.add(Tag::Batch, whole);
    nested.add(Tag::Submit, "x");
    CHECK_THROWS_AS(MessageBatch::decode(nested.encode(), 1), MessageError);
    std::string unknownTag = whole;
    unknownTag[4] = static_cast<char>(99);
    CHECK_THROWS_AS(MessageBatch::decode(unknownTag, 1), MessageError);
}

TEST_CASE("handler threads are reused, and work that waits on other work does not starve") {
    HandlerThreads threads;
    std::atomic<int> done{0};
    for (int i = 0; i < 200; ++i) {
        threads.run([&] { ++done; });
        while (done.load() <= i) std::this_thread::yield();
    }
    CHECK(threads.started() <= 2);  // one at a time: the idle thread takes the next piece

    // Two pieces that each wait for the other: both need a thread at once.
    std::mutex m;
    std::condition_variable cv;
    int arrived = 0;
    auto meet = [&] {
        std::unique_lock lock(m);
        ++arrived;
        cv.notify_all();
        cv.wait(lock, [&] { return arrived >= 2; });
    };
    threads.run(meet);
    threads.run(meet);
    threads.stop();
    CHECK(arrived == 2);
    CHECK(done == 200);
}
