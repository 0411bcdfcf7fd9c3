// EffectfulBuiltins.cpp — what a firing lends the evaluator (Firing::call): task calls inside
// expressions, `seq`, `now`, `count` of a catalog, and the effectful standard library (sh,
// read, write, exists, size), with files read and written recorded as provenance entities.
#include "runtime/engine/Firing.h"

#include "runtime/engine/StreamRuntime.h"
#include "runtime/exec/Shell.h"
#include "runtime/interp/Conform.h"
#include "runtime/io/ConformItem.h"
#include "runtime/io/DataError.h"
#include "runtime/io/Npy.h"
#include "runtime/io/ValueCodec.h"
#include "runtime/provenance/ContentHash.h"
#include "runtime/values/Text.h"

#include <fstream>
#include <sstream>
#include <thread>

namespace xdml::runtime {

using K = Value::Kind;

void Firing::recordFile(const std::filesystem::path& p, uint64_t bytes, const std::string& hash, bool written) {
    prov::Store* store = run_.provenance();
    prov::EntityRecord rec;
    rec.kind = "file";
    rec.label = p.filename().string();
    rec.path = p.string();
    rec.site = evalSite_;
    rec.bytes = static_cast<int64_t>(bytes);
    rec.hash = hash;
    // A file read whose content was invalidated before is recognised (a written one is new).
    const std::string invalid = written ? "" : run_.invalidatedInput(hash);
    if (!invalid.empty()) {
        rec.valid = false;
        run_.report("warning: " + p.string() + ": " + invalid + "; what is made from it is recorded invalid too",
                    "invalid-input:" + p.string());
    }
    const int64_t e = store->entity(rec);
    if (!invalid.empty())
        store->decision({std::string(prov::decision_kind::invalidation), prov::subjectOfEntity(e), "invalid", invalid, "{}", -1});
    if (activity_ <= 0) return;
    if (written) store->generated(e, activity_);
    else store->used(activity_, e, "read");
}

std::optional<Value> Firing::call(const Expr& e, const Scope& scope, Evaluator& ev) {
    if (isTaskCall(e)) {
        // A task inside a larger expression: its result comes back to this expression's site.
        const std::string site = evalSite_;
        DatumPtr result = startTask(e, true)->get();
        return run_.moveTo(result, site)->value;
    }
    if (auto v = modelCall(e, scope, ev)) return v;
    if (e.binding != NameBinding::Builtin) return std::nullopt;
    const std::string& name = e.name;
    auto arg = [&](std::size_t i) {
        if (i >= e.args.size()) throw EvalError("'" + name + "' needs more arguments");
        return ev.evaluate(e.args[i], scope);
    };
    // `write` goes to the work directory; what is read (`read`, `exists`, `size`) is found
    // there or in the input directory (a replay reads the original run's inputs).
    auto pathArg = [&](std::size_t i) {
        Value p = arg(i);
        if (!p.is(K::String)) throw EvalError("'" + name + "' takes a path, got " + describe(p));
        return name == "write" ? run_.resolve(p.asString()) : run_.resolveInput(p.asString());
    };
    if (name == "seq") {
        if (!e.args.empty() && isLocalName(e.args[0])) {
            DatumPtr d = local(e.args[0].name);
            return Value::integer(d->seq >= 0 ? d->seq : seq_);
        }
        return Value::integer(seq_);
    }
    if (name == "now") return Value::quantity(QuantityKind::Duration, run_.elapsed());
    if (name == "count" && e.args.size() == 1 && e.args[0].op == Expr::Op::Name &&
        e.args[0].binding == NameBinding::OtherGlobal && e.args[0].declares == "catalog")
        return Value::integer(run_.catalog(e.args[0].name).count());
    if (name == "sh") {
        Value cmd = arg(0);
        if (!cmd.is(K::String)) throw EvalError("'sh' takes a string, got " + describe(cmd));
        ShellResult r = runShell(cmd.asString(), run_.options().workdir);
        if (r.status != 0) throw TaskFailure(shellFailure(r, cmd.asString()), e.line);
        return Value::string(r.out);
    }
    if (name == "exists") return Value::boolean(std::filesystem::exists(pathArg(0)));
    if (name == "size") {
        std::error_code ec;
        const auto p = pathArg(0);
        const auto bytes = std::filesystem::file_size(p, ec);
        if (ec) throw DataError(p.string(), "cannot read its size: " + ec.message());
        return Value::quantity(QuantityKind::Bytes, static_cast<double>(bytes));
    }
    if (name == "read") {
        const auto p = pathArg(0);
        if (e.args.size() < 2 || e.args[1].binding != NameBinding::Type) throw EvalError("'read' takes a path and a type name");
        TypeDesc named;
        named.kind = TypeDesc::Kind::Named;
        named.name = e.args[1].name;
        const TypeDesc& t = run_.program().structure(named);
        Value v;
        if (t.kind == TypeDesc::Kind::Tensor) {
            v = conformItem(readNpyFile(p), t, p.string());
        } else if (t.kind == TypeDesc::Kind::String || t.kind == TypeDesc::Kind::Path) {
            std::ifstream in(p, std::ios::binary);
            if (!in) throw DataError(p.string(), "cannot open it");
            std::ostringstream text;
            text << in.rdbuf();
            v = Value::string(text.str());
        } else {
            throw DataError(p.string(), "'read' cannot decode a file into " + e.args[1].name);
        }
        if (run_.provenance()) {
            std::error_code ec;
            recordFile(p, std::filesystem::file_size(p, ec), prov::contentHashOfFile(p), false);
        }
        return v;
    }
    if (name == "write") {
        const auto p = pathArg(0);
        Value v = arg(1);
        std::string bytes = v.is(K::Tensor) ? encodeNpy(v.asTensor()) : v.is(K::String) ? v.asString() : toText(v);
        std::error_code ec;
        if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out) throw DataError(p.string(), "cannot write it");
        run_.stats().writtenFileBytes += bytes.size();
        if (run_.provenance()) recordFile(p, bytes.size(), prov::contentHash(bytes.data(), bytes.size()), true);
        return Value::none();
    }
    return std::nullopt;
}

}  // namespace xdml::runtime
