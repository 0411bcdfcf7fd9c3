// Jit.cpp — see Jit.h.
#include "jit/Jit.h"

#include "jit/KernelAbi.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/AsmParser/Parser.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>

#include <mutex>
#include <stdexcept>

namespace xdml::jit {

namespace orc = llvm::orc;

class Jit::Tracker {
public:
    explicit Tracker(orc::ResourceTrackerSP rt) : rt(std::move(rt)) {}
    orc::ResourceTrackerSP rt;
};

struct Jit::State {
    std::unique_ptr<orc::LLJIT> lljit;
    std::unique_ptr<llvm::TargetMachine> machine;  // for the optimizer's cost model
    std::string cpu;
    std::mutex optimizeMutex;  // the TargetMachine is not shared between threads safely
};

namespace {

std::string message(llvm::Error error) { return llvm::toString(std::move(error)); }

template <typename T>
T take(llvm::Expected<T> value, const char* what) {
    if (!value) throw std::runtime_error(std::string(what) + ": " + message(value.takeError()));
    return std::move(*value);
}

}  // namespace

Jit& Jit::instance() {
    static Jit jit;
    return jit;
}

Jit::Jit() : state_(std::make_unique<State>()) {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    auto builder = take(orc::JITTargetMachineBuilder::detectHost(), "LLVM cannot target this machine");
    builder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);  // -O2
    state_->cpu = builder.getCPU();
    state_->machine = take(builder.createTargetMachine(), "LLVM cannot target this machine");
    state_->lljit = take(orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(builder)).create(),
                         "cannot start the LLVM JIT");
    orc::LLJIT& lljit = *state_->lljit;

    // The C library (log, exp, fmod, ...) from the process; the runtime's helpers by address,
    // so they need not be exported from the executable.
    lljit.getMainJITDylib().addGenerator(take(orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
                                                  lljit.getDataLayout().getGlobalPrefix()),
                                              "cannot search this process for symbols"));
    orc::SymbolMap helpers;
    for (const HelperSymbol& h : helperSymbols())
        helpers[lljit.mangleAndIntern(h.name)] = {orc::ExecutorAddr::fromPtr(h.address), llvm::JITSymbolFlags::Exported};
    if (auto error = lljit.getMainJITDylib().define(orc::absoluteSymbols(std::move(helpers))))
        throw std::runtime_error("cannot define the JIT's helpers: " + message(std::move(error)));

    lljit.getIRTransformLayer().setTransform(
        [this](orc::ThreadSafeModule module, const orc::MaterializationResponsibility&) -> llvm::Expected<orc::ThreadSafeModule> {
            module.withModuleDo([this](llvm::Module& m) { optimize(m); });
            return module;
        });
    warmUp();
}

void Jit::warmUp() {
    // LLVM builds its tables for the target on first use (~10 ms): pay that here, when the JIT
    // starts, rather than in the first kernel a flow waits for.
    static const char* kLoop = R"(
define double @xdml_jit_warm_up(ptr %p, i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %next, %loop ]
  %acc = phi <8 x double> [ zeroinitializer, %entry ], [ %sum, %loop ]
  %at = getelementptr float, ptr %p, i64 %i
  %x = load <8 x float>, ptr %at, align 4
  %big = fcmp ogt <8 x float> %x, <float 2.0, float 2.0, float 2.0, float 2.0, float 2.0, float 2.0, float 2.0, float 2.0>
  %d = uitofp <8 x i1> %big to <8 x double>
  %sum = fadd <8 x double> %acc, %d
  %next = add i64 %i, 8
  %more = icmp slt i64 %next, %n
  br i1 %more, label %loop, label %done
done:
  %r = extractelement <8 x double> %sum, i64 0
  ret double %r
}
)";
    auto context = std::make_unique<llvm::LLVMContext>();
    llvm::SMDiagnostic error;
    std::unique_ptr<llvm::Module> module = llvm::parseAssemblyString(kLoop, error, *context);
    if (!module) throw std::runtime_error("the JIT's warm-up module does not parse: " + error.getMessage().str());
    auto tracker = addModule(std::move(module), std::move(context));
    lookup("xdml_jit_warm_up");  // compiles it
    remove(tracker);
}

Jit::~Jit() = default;

void Jit::configure(llvm::Module& module) const {
    module.setDataLayout(state_->lljit->getDataLayout());
    module.setTargetTriple(state_->lljit->getTargetTriple().str());
}

std::string Jit::cpu() const { return state_->cpu; }

void Jit::optimize(llvm::Module& module) {
    std::lock_guard lock(state_->optimizeMutex);
    llvm::LoopAnalysisManager loops;
    llvm::FunctionAnalysisManager functions;
    llvm::CGSCCAnalysisManager cgscc;
    llvm::ModuleAnalysisManager modules;
    llvm::PassBuilder passes(state_->machine.get());
    passes.registerModuleAnalyses(modules);
    passes.registerCGSCCAnalyses(cgscc);
    passes.registerFunctionAnalyses(functions);
    passes.registerLoopAnalyses(loops);
    passes.crossRegisterProxies(loops, functions, cgscc, modules);
    passes.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2).run(module, modules);
}

std::shared_ptr<Jit::Tracker> Jit::addModule(std::unique_ptr<llvm::Module> module,
                                             std::unique_ptr<llvm::LLVMContext> context) {
    configure(*module);
    auto tracker = std::make_shared<Tracker>(state_->lljit->getMainJITDylib().createResourceTracker());
    if (auto error = state_->lljit->addIRModule(tracker->rt, orc::ThreadSafeModule(std::move(module), std::move(context))))
        throw std::runtime_error("cannot add a module to the JIT: " + message(std::move(error)));
    return tracker;
}

uint64_t Jit::lookup(const std::string& name) {
    return take(state_->lljit->lookup(name), ("cannot compile '" + name + "'").c_str()).getValue();
}

void Jit::remove(const std::shared_ptr<Tracker>& tracker) {
    if (!tracker) return;
    if (auto error = tracker->rt->remove()) throw std::runtime_error("cannot remove JIT code: " + message(std::move(error)));
}

}  // namespace xdml::jit
