// Kernels.cpp — see Kernels.h.
#include "jit/Kernels.h"

#include "jit/Jit.h"
#include "jit/KernelBuilder.h"
#include "runtime/interp/Builtins.h"
#include "runtime/interp/Conform.h"
#include "runtime/interp/Evaluate.h"

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

namespace xdml::jit {

using runtime::Expr;
using runtime::Value;
using TK = runtime::TypeDesc::Kind;

struct Kernels::Kernel {
    KernelSpec spec;
    const void* decl = nullptr;
    std::atomic<KernelFn> fn{nullptr};  // published (release) once signature and pinned are set
    KernelSignature signature;
    std::vector<Value> pinned;
    KernelStatus status;
    std::optional<uint64_t> codeHash;  // the cache entry it uses (and counts as a user of)
};

namespace {

constexpr int kSlotsOnStack = 32;

/// The process's compiled code by the content hash of its IR: a kernel whose IR hashes alike
/// (the same fn in another run, two fns with one body) compiles once. Code no live Kernels uses
/// stays for a later run until releaseUnusedCode() (the REPL, after a redefinition) frees it.
struct CachedCode {
    std::string entry;
    KernelFn fn = nullptr;
    std::shared_ptr<Jit::Tracker> tracker;
    int users = 0;
};
std::mutex cacheMutex;
std::map<uint64_t, CachedCode>& codeCache() {
    // Never destroyed: its trackers must not outlive the JIT's session at exit, whichever of
    // the two statics was made first.
    static auto* cache = new std::map<uint64_t, CachedCode>;
    return *cache;
}

bool containsTensor(const Expr& e, const runtime::Program& program) {
    try {
        if (e.type.kind != TK::Unknown && program.structure(e.type).kind == TK::Tensor) return true;
    } catch (const runtime::PlanError&) {
        return false;
    }
    for (const Expr& a : e.args)
        if (containsTensor(a, program)) return true;
    return false;
}

void freeLocals(const Expr& e, std::vector<runtime::Param>& out) {
    if (e.op == Expr::Op::Name && e.binding == runtime::NameBinding::Local) {
        for (const runtime::Param& p : out)
            if (p.name == e.name) return;
        out.push_back({e.name, e.type});
    }
    for (const Expr& a : e.args) freeLocals(a, out);
}

/// Whether `e` calls only fns and pure built-ins (no task, model, `seq` or effect) and builds
/// no string or list: what a kernel can hold. (An expression that fails here is not compiled
/// as a whole, but its tensor parts may be.)
bool compilable(const Expr& e, const runtime::Program& program) {
    if (e.op == Expr::Op::String || e.op == Expr::Op::List) return false;
    if (e.op == Expr::Op::Call && e.binding != runtime::NameBinding::Fn &&
        !(e.binding == runtime::NameBinding::Builtin && runtime::isPureBuiltin(e.name) && e.name != "len" && e.name != "shape" &&
          e.name != "shell_quote"))
        return false;
    if (e.op == Expr::Op::Name && e.binding == runtime::NameBinding::Local) {
        int next = 0;
        SlotTree slots;
        try {
            if (!slotsOf(e.type, program, next, slots)) return false;  // a string, a list, a quantity
        } catch (const runtime::PlanError&) {
            return false;
        }
    }
    for (const Expr& a : e.args)
        if (!compilable(a, program)) return false;
    return true;
}

/// Whether a kernel expression is worth compiling by itself: it computes a number or a tensor
/// with tensor operations and pure code only, and is not simply a fn call (the fn is compiled
/// on its own).
bool worthCompiling(const Expr& e, const runtime::Program& program) {
    if (e.op == Expr::Op::Name || e.op == Expr::Op::Literal || !compilable(e, program)) return false;
    if (e.op == Expr::Op::Call && e.binding == runtime::NameBinding::Fn) return false;
    try {
        if (e.type.kind == TK::Unknown) return false;
        switch (program.structure(e.type).kind) {
        case TK::Bool: case TK::Int: case TK::Float: case TK::F32: case TK::Tensor: break;
        default: return false;
        }
    } catch (const runtime::PlanError&) {
        return false;
    }
    return containsTensor(e, program);
}

void collectExpressions(const Expr& e, const runtime::Program& program, std::vector<const Expr*>& out) {
    if (e.kernel && worthCompiling(e, program)) {
        out.push_back(&e);
        return;  // what it contains is compiled with it
    }
    for (const Expr& a : e.args) collectExpressions(a, program, out);
}

void collectExpressions(const std::vector<runtime::Stmt>& body, const runtime::Program& program, std::vector<const Expr*>& out) {
    for (const runtime::Stmt& s : body) {
        if (s.value) collectExpressions(*s.value, program, out);
        if (s.bound) collectExpressions(*s.bound, program, out);
        collectExpressions(s.body, program, out);
        collectExpressions(s.elseBody, program, out);
    }
}

/// A few words for an expression kernel in reports: "sum(...)", "max(...)", "-".
std::string summary(const Expr& e) {
    switch (e.op) {
    case Expr::Op::Call: return e.name + "(...)";
    case Expr::Op::Binary: return std::string("'") + runtime::spelling(e.binary) + "'";
    case Expr::Op::Index: return "a slice";
    case Expr::Op::Ternary: return "'?:'";
    default: return "an expression";
    }
}

double millisecondsSince(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

Kernels::Kernels(const runtime::Program& program) : program_(program) {
    auto add = [this](KernelSpec spec, const void* decl) {
        auto k = std::make_unique<Kernel>();
        k->spec = std::move(spec);
        k->decl = decl;
        k->status.what = describe(k->spec);
        k->status.line = k->spec.line;
        byDecl_.emplace_back(decl, k.get());
        kernels_.push_back(std::move(k));
    };
    // Predicates first: they run on every item of their streams.
    for (const auto& [name, t] : program.types())
        if (t.where && t.classifierModel.empty())
            add({KernelSpec::Kind::Predicate, name, t.where->line, {{"it", t.is}}, &*t.where}, &t);
    for (const auto& [name, fn] : program.fns()) add({KernelSpec::Kind::Fn, name, fn.body.line, fn.params, &fn.body}, &fn);
    std::vector<const Expr*> expressions;
    for (const auto& [name, flow] : program.flows()) collectExpressions(flow.body, program, expressions);
    for (const Expr* e : expressions) {
        KernelSpec spec{KernelSpec::Kind::Expression, summary(*e), e->line, {}, e};
        freeLocals(*e, spec.params);
        add(std::move(spec), e);
    }
    std::sort(byDecl_.begin(), byDecl_.end());
}

const Kernels::Kernel* Kernels::kernelOf(const void* decl) const {
    auto it = std::lower_bound(byDecl_.begin(), byDecl_.end(), decl,
                               [](const std::pair<const void*, Kernel*>& entry, const void* key) { return entry.first < key; });
    return it != byDecl_.end() && it->first == decl ? it->second : nullptr;
}

Kernels::~Kernels() {
    cancel_.store(true);
    wait();
    std::lock_guard lock(cacheMutex);
    for (auto& k : kernels_)
        if (k->codeHash)
            if (auto it = codeCache().find(*k->codeHash); it != codeCache().end()) --it->second.users;
}

std::size_t Kernels::releaseUnusedCode() {
    std::lock_guard lock(cacheMutex);
    std::size_t released = 0;
    for (auto it = codeCache().begin(); it != codeCache().end();) {
        if (it->second.users > 0) {
            ++it;
            continue;
        }
        Jit::instance().remove(it->second.tracker);
        it = codeCache().erase(it);
        ++released;
    }
    return released;
}

std::size_t Kernels::cachedCodeCount() {
    std::lock_guard lock(cacheMutex);
    return codeCache().size();
}

void Kernels::start(Report report) {
    if (compiler_.joinable()) return;
    compiler_ = std::thread([this, report = std::move(report)] {
        for (auto& k : kernels_) {
            if (cancel_.load()) return;
            compile(*k, report);
        }
    });
}

void Kernels::compileAll(Report report) {
    wait();
    for (auto& k : kernels_)
        if (!k->fn.load(std::memory_order_acquire) && k->status.reason.empty()) compile(*k, report);
}

void Kernels::wait() {
    if (compiler_.joinable()) compiler_.join();
}

std::vector<KernelStatus> Kernels::status() const {
    std::vector<KernelStatus> out;
    for (const auto& k : kernels_) {
        KernelStatus s = k->status;
        s.compiled = k->fn.load(std::memory_order_acquire) != nullptr;
        out.push_back(std::move(s));
    }
    return out;
}

void Kernels::compile(Kernel& k, const Report& report) {
    try {
        Jit::instance();  // its start-up is not this kernel's compile time
    } catch (const std::exception& e) {
        k.status.reason = e.what();
        k.status.failed = true;
        if (report && !startFailed_.exchange(true))
            report(k.spec.line, std::string("the JIT cannot start (") + e.what() + "); everything runs interpreted");
        return;
    }
    const auto started = std::chrono::steady_clock::now();
    try {
        // For the tests of the fallback: a JIT failure on purpose, on the kernel named here.
        if (const char* inject = std::getenv("XDML_JIT_INJECT_FAILURE"); inject && k.status.what == inject)
            throw std::runtime_error("a failure injected by XDML_JIT_INJECT_FAILURE");
        runtime::Evaluator consts(program_);
        LoweredKernel lowered = lowerKernel(program_, k.spec, consts);
        k.signature = lowered.signature;
        k.pinned = std::move(lowered.pinned);
        k.status.entry = lowered.entry;
        KernelFn fn = nullptr;
        {
            // Under the lock, so that two programs compiling one kernel define its symbol once.
            std::lock_guard lock(cacheMutex);
            if (auto it = codeCache().find(lowered.hash); it != codeCache().end()) {
                fn = it->second.fn;
                k.status.entry = it->second.entry;
                k.status.cached = true;
                ++it->second.users;
            } else {
                Jit& jit = Jit::instance();
                auto tracker = jit.addModule(std::move(lowered.module), std::move(lowered.context));
                try {
                    fn = reinterpret_cast<KernelFn>(jit.lookup(lowered.entry));
                } catch (...) {
                    jit.remove(tracker);  // else a later compile of this kernel would define it twice
                    throw;
                }
                codeCache().emplace(lowered.hash, CachedCode{lowered.entry, fn, tracker, 1});
            }
            k.codeHash = lowered.hash;
        }
        k.status.compileMs = millisecondsSince(started);
        k.fn.store(fn, std::memory_order_release);
    } catch (const Unsupported& u) {
        k.status.reason = u.what();
    } catch (const std::exception& e) {
        k.status.reason = e.what();
        k.status.failed = true;
        if (report)
            report(k.spec.line, "the JIT could not compile " + k.status.what + " (" + e.what() + "); it runs interpreted");
    }
}

bool Kernels::run(const Kernel& k, KernelFn fn, const Value* const* args, KernelSlot* results, KernelCall& call) const {
    const KernelSignature& sig = k.signature;
    KernelSlot onStack[kSlotsOnStack];
    std::vector<KernelSlot> onHeap;
    KernelSlot* slots = onStack;
    if (sig.paramSlots > kSlotsOnStack) {
        onHeap.resize(static_cast<std::size_t>(sig.paramSlots));
        slots = onHeap.data();
    }
    for (std::size_t i = 0; i < sig.params.size(); ++i)
        if (!toSlots(*args[i], sig.params[i], slots)) return false;
    return fn(slots, results, &call) == kKernelOk;
}

std::optional<Value> Kernels::invoke(const Kernel& k, const Value* const* args) const {
    // The signature is written before the code is published (release): read it only after.
    KernelFn fn = k.fn.load(std::memory_order_acquire);
    if (!fn) return std::nullopt;
    KernelSlot onStack[kSlotsOnStack];
    std::vector<KernelSlot> onHeap;
    KernelSlot* results = onStack;
    if (k.signature.resultSlots > kSlotsOnStack) {
        onHeap.resize(static_cast<std::size_t>(k.signature.resultSlots));
        results = onHeap.data();
    }
    KernelCall call;
    if (!run(k, fn, args, results, call)) return std::nullopt;
    return fromSlots(k.signature.result, results, call);
}

std::optional<Value> Kernels::callFn(const runtime::FnDecl& fn, const std::vector<Value>& args) const {
    const Kernel* k = kernelOf(&fn);
    if (!k || args.size() != fn.params.size()) return std::nullopt;
    const Value* onStack[kSlotsOnStack];
    std::vector<const Value*> onHeap;
    const Value** pointers = onStack;
    if (args.size() > kSlotsOnStack) {
        onHeap.resize(args.size());
        pointers = onHeap.data();
    }
    for (std::size_t i = 0; i < args.size(); ++i) pointers[i] = &args[i];
    auto v = invoke(*k, pointers);
    if (!v) return std::nullopt;
    return runtime::conformTo(*v, fn.result, program_);
}

std::optional<bool> Kernels::where(const runtime::TypeDecl& type, const Value& item) const {
    // The hot path of a refinement type, once per item: no Value is built for the answer.
    const Kernel* k = kernelOf(&type);
    KernelFn fn = k ? k->fn.load(std::memory_order_acquire) : nullptr;
    if (!fn) return std::nullopt;
    const Value* args[] = {&item};
    KernelSlot result[1];
    KernelCall call;
    if (k->signature.resultSlots != 1 || !run(*k, fn, args, result, call)) return std::nullopt;
    return result[0].scalar.b != 0;
}

std::optional<Value> Kernels::evaluate(const Expr& e, const runtime::Scope& scope) const {
    const Kernel* found = kernelOf(&e);
    if (!found) return std::nullopt;
    const Kernel& k = *found;
    if (!k.fn.load(std::memory_order_acquire)) return std::nullopt;
    std::vector<Value> values;
    values.reserve(k.spec.params.size());
    for (const runtime::Param& p : k.spec.params) {
        const Value* v = scope.find(p.name);
        if (!v) return std::nullopt;
        values.push_back(runtime::conformTo(*v, p.type, program_));
    }
    std::vector<const Value*> pointers;
    for (const Value& v : values) pointers.push_back(&v);
    return invoke(k, pointers.data());
}

std::string Kernels::emitLlvm(const runtime::Program& program, bool optimized) {
    Kernels kernels(program);
    std::string out;
    for (const auto& k : kernels.kernels_) {
        std::string head = "; ---- " + k->status.what + " (line " + std::to_string(k->spec.line) + ")";
        try {
            runtime::Evaluator consts(program);
            LoweredKernel lowered = lowerKernel(program, k->spec, consts);
            if (optimized) {
                Jit& jit = Jit::instance();
                jit.configure(*lowered.module);
                jit.optimize(*lowered.module);
            }
            out += head + ": " + lowered.entry + "\n" + printModule(*lowered.module) + "\n";
        } catch (const std::exception& e) {
            out += head + ": not compiled, runs interpreted: " + e.what() + "\n\n";
        }
    }
    return out;
}

}  // namespace xdml::jit
