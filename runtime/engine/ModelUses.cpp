// ModelUses.cpp — see ModelUses.h.
#include "runtime/engine/ModelUses.h"

namespace xdml::runtime {

namespace {

void scanExpr(const Expr& e, std::map<std::string, StreamModelUse>& uses) {
    if (e.op == Expr::Op::Call && e.binding == NameBinding::Builtin && e.name == "accuracy" && e.args.size() == 2 &&
        e.args[1].op == Expr::Op::Name)
        uses[e.args[1].name].scored = true;
    for (const Expr& a : e.args) scanExpr(a, uses);
}

void scanBody(const std::vector<Stmt>& body, std::map<std::string, StreamModelUse>& uses) {
    for (const Stmt& s : body) {
        if (s.op == Stmt::Op::Train) uses[s.target].trainedModels.insert(s.name);
        if (s.value) scanExpr(*s.value, uses);
        if (s.bound) scanExpr(*s.bound, uses);
        scanBody(s.body, uses);
        scanBody(s.elseBody, uses);
    }
}

void trainedIn(const Expr& e, const Program& program, std::set<std::string>& tasksSeen, std::set<std::string>& out);

void trainedIn(const std::vector<Stmt>& body, const Program& program, std::set<std::string>& tasksSeen,
               std::set<std::string>& out) {
    for (const Stmt& s : body) {
        if (s.op == Stmt::Op::Train) out.insert(s.name);
        if (s.value) trainedIn(*s.value, program, tasksSeen, out);
        if (s.bound) trainedIn(*s.bound, program, tasksSeen, out);
        trainedIn(s.body, program, tasksSeen, out);
        trainedIn(s.elseBody, program, tasksSeen, out);
    }
}

void trainedIn(const Expr& e, const Program& program, std::set<std::string>& tasksSeen, std::set<std::string>& out) {
    if (e.op == Expr::Op::Call)
        if (auto task = program.tasks().find(e.name); task != program.tasks().end() && tasksSeen.insert(e.name).second)
            trainedIn(task->second.body, program, tasksSeen, out);
    for (const Expr& a : e.args) trainedIn(a, program, tasksSeen, out);
}

}  // namespace

std::map<std::string, StreamModelUse> modelUsesOfStreams(const Program& program, const std::set<std::string>& flows) {
    std::map<std::string, StreamModelUse> uses;
    for (const auto& [name, flow] : program.flows())
        if (flows.empty() || flows.count(name)) scanBody(flow.body, uses);
    for (const auto& [name, task] : program.tasks()) scanBody(task.body, uses);
    return uses;
}

bool containsTrain(const std::vector<Stmt>& body) {
    for (const Stmt& s : body)
        if (s.op == Stmt::Op::Train || containsTrain(s.body) || containsTrain(s.elseBody)) return true;
    return false;
}

std::set<std::string> modelsTrainedBy(const std::vector<Stmt>& body, const Program& program) {
    std::set<std::string> out, tasksSeen;
    trainedIn(body, program, tasksSeen, out);
    return out;
}

}  // namespace xdml::runtime
