// ResumeLedger.cpp — see ResumeLedger.h.
#include "runtime/engine/ResumeLedger.h"

#include "runtime/engine/CallKey.h"
#include "runtime/engine/MessageCodec.h"
#include "runtime/engine/Run.h"
#include "runtime/provenance/ContentHash.h"

namespace xdml::runtime {

namespace {

std::string itemKey(const std::string& stream, const std::string& origin, const std::string& hash) {
    return stream + '\0' + origin + '\0' + hash;
}

/// Whether every file the body read still has the content it had then.
bool readsUnchanged(const std::vector<FileRead>& reads) {
    for (const auto& [path, hash] : reads) {
        try {
            if (prov::contentHashOfFile(path) != hash) return false;
        } catch (const std::exception&) {
            return false;  // gone or unreadable: the call runs again and says why, if it must
        }
    }
    return true;
}

}  // namespace

RootItem::~RootItem() {
    try {
        ledger_.itemDone(item_, !failed_.load());
    } catch (...) {
    }  // itemDone reports its own failures
}

void RootItem::rowRecorded(const std::string& catalog, int64_t row) {
    std::lock_guard lock(mutex_);
    item_.rows.emplace_back(catalog, row);
}

ResumeLedger::ResumeLedger(ResumeSetup setup)
    : setup_(std::move(setup)),
      log_(resumeLogPath(setup_.workdir, setup_.run), setup_.resumed, setup_.flowsHash,
           [this](const ResumeError& e) { failedWrite("", e); }) {
    // Carried into this run's log at once: a resume of this run, if it is killed in turn, then
    // reuses what the runs before it did, whether or not this one came to it.
    if (!setup_.itemsReusable) {
        setup_.previous.items.clear();
        log_.carry(setup_.previous.tasks, {});
    } else if (setup_.previous.header) {
        log_.carryAll(resumeLogPath(setup_.workdir, setup_.resumed), setup_.previous);  // as they are: no encoding again
    } else {
        log_.carry(setup_.previous.tasks, setup_.previous.items);
    }
    for (HandledItem& item : setup_.previous.items) {
        std::string key = itemKey(item.stream, item.origin, item.hash);
        handled_[key].push_back(std::move(item));
    }
    setup_.previous.items.clear();
    if (setup_.previous.tornTail)
        setup_.report("warning: resume: run " + std::to_string(setup_.resumed) +
                      "'s resume log ends in a record cut short or corrupt (killed as it wrote it?): what follows it is done again");
    if (setup_.previous.corrupt > 0)
        setup_.report("warning: resume: " + std::to_string(setup_.previous.corrupt) + " records of run " +
                      std::to_string(setup_.resumed) + "'s resume log are corrupt and were skipped: their work is done again");
}

ResumeLedger::~ResumeLedger() {
    // What is still registered never finished: it is not handled, and the log says nothing of it.
    closing_.store(true);
    std::map<std::pair<int, int64_t>, ItemRoots> left;
    {
        std::lock_guard lock(mutex_);
        left.swap(firings_);
    }
}

std::string ResumeLedger::keyOf(const std::string& task, const std::vector<DatumPtr>& args) const {
    auto code = setup_.codeHashes.find(task);
    if (code == setup_.codeHashes.end()) return "";
    CallKeyHasher key(setup_.version, code->second.hash);
    for (const DatumPtr& a : args) {
        bool hashed = false;
        {
            std::lock_guard lock(a->mutex);
            if (!a->hash.empty()) {  // taken when the item was recorded: a large value is not hashed again
                key.part(a->hash);
                hashed = true;
            }
        }
        if (!hashed) key.part(contentHashOf(a->value));
        if (code->second.readsSeq) key.part("seq " + std::to_string(a->seq));
    }
    return key.key();
}

std::optional<TaskOutcome> ResumeLedger::reuse(const std::string& key, const std::string& what) {
    auto it = setup_.previous.tasks.find(key);
    if (it == setup_.previous.tasks.end()) return std::nullopt;
    const TaskEntry& entry = it->second;
    std::optional<TaskOutcome> outcome;
    try {
        outcome = decodeOutcome(entry.outcome);
        if (!outcome->ok) throw MessageError("an outcome that is not a success");
        if (contentHashOf(outcome->result.value) != entry.outputHash)
            throw MessageError("its value hashes to " + contentHashOf(outcome->result.value) + ", not the " +
                               entry.outputHash + " kept with it");
    } catch (const std::exception& e) {
        setup_.report("warning: resume: the kept outcome of " + what + " (key " + key + ") is corrupt: " + e.what() +
                      "; the call runs again");
        return std::nullopt;
    }
    if (!readsUnchanged(entry.reads)) return std::nullopt;
    return outcome;  // its record was carried into this run's log when the ledger was made
}

void ResumeLedger::keep(const TaskEntry& entry) {
    log_.task(entry);
}

void ResumeLedger::flush() {
    try {
        log_.flush();
    } catch (const ResumeError& e) {
        failedWrite("", e);
    }
}

bool ResumeLedger::handledBefore(const std::string& stream, const std::string& origin, const std::string& hash) {
    std::lock_guard lock(mutex_);
    if (handled_.empty()) return false;  // not a resume, or nothing left to skip: no key to build
    auto it = handled_.find(itemKey(stream, origin, hash));
    if (it == handled_.end() || it->second.empty()) return false;
    it->second.pop_back();  // its record was carried into this run's log when the ledger was made
    return true;
}

std::shared_ptr<RootItem> ResumeLedger::root(const std::string& stream, const std::string& origin, const std::string& hash) {
    return std::make_shared<RootItem>(*this, HandledItem{stream, origin, hash, {}});
}

void ResumeLedger::firingStarted(int handler, int64_t seq, ItemRoots roots) {
    if (roots.empty()) return;
    std::lock_guard lock(mutex_);
    firings_[{handler, seq}] = std::move(roots);
}

void ResumeLedger::firingEnded(int handler, int64_t seq, bool ok) {
    ItemRoots roots;
    {
        std::lock_guard lock(mutex_);
        auto it = firings_.find({handler, seq});
        if (it == firings_.end()) return;
        roots = std::move(it->second);
        firings_.erase(it);
    }
    if (!ok)
        for (const auto& r : roots) r->fail();
}  // the roots let go here, outside the lock (the last one writes its item)

ItemRoots ResumeLedger::rootsOf(int handler, int64_t seq) {
    std::lock_guard lock(mutex_);
    auto it = firings_.find({handler, seq});
    return it == firings_.end() ? ItemRoots{} : it->second;
}

void ResumeLedger::rowRecorded(int handler, int64_t seq, const std::string& catalog, int64_t row) {
    for (const auto& r : rootsOf(handler, seq)) r->rowRecorded(catalog, row);
}

void ResumeLedger::itemDone(const HandledItem& item, bool ok) {
    // A stop abandons queued work: what lets go then may not have been handled at all.
    if (!ok || closing_.load() || setup_.stopping()) return;
    try {
        log_.item(item);
    } catch (const ResumeError& e) {
        failedWrite("item of " + item.stream, e);
    }
}

void ResumeLedger::failedWrite(const std::string& what, const ResumeError& e) {
    if (setup_.writeFailures) setup_.writeFailures->add(1);
    setup_.report(std::string("error: resume: ") + e.what() +
                  (what.empty() ? "; a resume would do their work again" : " (an " + what + "; a resume would handle it again)"));
}

}  // namespace xdml::runtime
