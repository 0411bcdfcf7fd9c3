// CallMessages.cpp — see CallMessages.h.
#include "runtime/distributed/CallMessages.h"

#include "runtime/engine/MessageCodec.h"

namespace xdml::runtime::distributed {

std::string encodeSubmit(uint64_t id, SubmitHow how, const TaskRequest& request) {
    MessageWriter w;
    w.pod<uint64_t>(id);
    w.pod<uint8_t>(static_cast<uint8_t>(how));
    w.text(encodeRequest(request));
    return w.take();
}

Submitted decodeSubmit(const std::string& bytes) {
    MessageReader r(bytes, "a submit message");
    Submitted s;
    s.id = r.pod<uint64_t>();
    const auto how = r.pod<uint8_t>();
    if (how > 1) r.fail("dispatch " + std::to_string(how));
    s.how = static_cast<SubmitHow>(how);
    s.request = decodeRequest(r.textView());
    r.end();
    return s;
}

std::string encodeStart(const Started& s) {
    MessageWriter w;
    w.pod<uint64_t>(s.id);
    w.pod<int32_t>(s.rank);
    return w.take();
}

Started decodeStart(const std::string& bytes) {
    MessageReader r(bytes, "a start message");
    Started s;
    s.id = r.pod<uint64_t>();
    s.rank = r.pod<int32_t>();
    r.end();
    return s;
}

std::string encodeGo(uint64_t id, bool now, const TaskRequest& request) {
    MessageWriter w;
    w.pod<uint64_t>(id);
    w.flag(now);
    writeRequestPart(w, request);  // in place: the arguments' values are not copied again
    return w.take();
}

Go decodeGo(const std::string& bytes) {
    MessageReader r(bytes, "a go message");
    Go g;
    g.id = r.pod<uint64_t>();
    g.now = r.flag();
    g.request = decodeRequest(r.textView());
    r.end();
    return g;
}

std::string encodeDone(uint64_t id, const TaskOutcome& outcome) {
    MessageWriter w;
    w.pod<uint64_t>(id);
    writeOutcomePart(w, outcome);  // in place: the result's value is not copied again
    return w.take();
}

Done decodeDone(const std::string& bytes) {
    MessageReader r(bytes, "a done message");
    Done d;
    d.id = r.pod<uint64_t>();
    d.outcome = decodeOutcome(r.textView());
    r.end();
    return d;
}

std::string encodeEnded(const Ended& e) {
    MessageWriter w;
    w.pod<uint64_t>(e.id);
    w.flag(e.again);
    return w.take();
}

Ended decodeEnded(const std::string& bytes) {
    MessageReader r(bytes, "an ended message");
    Ended e;
    e.id = r.pod<uint64_t>();
    e.again = r.flag();
    r.end();
    return e;
}

std::string encodeStatus(const SiteStatus& s) {
    MessageWriter w;
    w.text(s.site);
    w.pod<int32_t>(s.capacity);
    w.pod<int32_t>(s.running);
    w.pod<uint64_t>(s.queued);
    w.pod(s.meanJobSeconds);
    w.pod(s.estimatedWait);
    return w.take();
}

SiteStatus decodeStatus(const std::string& bytes) {
    MessageReader r(bytes, "a site status");
    SiteStatus s;
    s.site = r.text();
    s.capacity = r.pod<int32_t>();
    s.running = r.pod<int32_t>();
    s.queued = r.pod<uint64_t>();
    s.meanJobSeconds = r.pod<double>();
    s.estimatedWait = r.pod<double>();
    r.end();
    return s;
}

}  // namespace xdml::runtime::distributed
