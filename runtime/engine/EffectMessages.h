// EffectMessages.h — a task body's effects as bytes. On the worker's side, ChannelSink is an
// EffectSink that encodes each call into a message, sends it through a channel and decodes the
// answer (or the failure, thrown again); on the coordinator's side, applyEffect decodes a
// message, applies it to the coordinator's sink and encodes the answer. The loopback executor
// joins the two with a function call; a distributed one would join them with a network.
//
// What crosses is plain data: values, names, numbers, the provenance ids the coordinator
// assigned (a worker keeps them on its own copy of a value, so a value recorded twice is one
// entity, as it is in one process).
#pragma once

#include "runtime/engine/EffectSink.h"

#include <functional>
#include <string>

namespace xdml::runtime {

class Program;

/// Sends a message and returns the answer.
using EffectChannel = std::function<std::string(const std::string& message)>;

class ChannelSink : public EffectSink {
public:
    /// `program`: to name tasks and statements by what the other side can find again.
    ChannelSink(const Program& program, EffectChannel channel) : program_(program), channel_(std::move(channel)) {}

    DatumPtr moveTo(const DatumPtr& d, const std::string& site) override;
    void emit(const std::string& stream, const DatumPtr& d, const std::string& site, bool persist) override;
    void record(const std::string& catalog, const DatumPtr& d, const std::string& site) override;
    void log(const std::string& line) override;
    void fileUsed(const FileUse& file) override;
    void train(const Stmt& s, const TaskDecl* task) override;
    Pending startTask(TaskCall call) override;
    ChainResult startChain(ChainCall chain) override;
    Value askModel(const ModelQuery& q) override;
    int64_t count(const std::string& catalog) override;
    double now() override;
    bool stopping() override;
    std::string resolve(const std::string& path, bool forWriting) override;

private:
    const Program& program_;
    EffectChannel channel_;
};

/// The coordinator's end: applies the effect `message` describes to `sink`; the answer's bytes.
/// A malformed message is answered with a failure (MessageError).
std::string applyEffect(EffectSink& sink, const Program& program, const std::string& message);

}  // namespace xdml::runtime
