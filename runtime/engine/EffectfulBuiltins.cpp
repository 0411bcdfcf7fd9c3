// EffectfulBuiltins.cpp — what a firing lends the evaluator (Firing::call): task calls inside
// expressions, `seq`, `now`, `count` of a catalog, and the effectful standard library (sh,
// read, write, exists, size); files read and written go to the sink, to be recorded as
// provenance entities.
#include "runtime/engine/Firing.h"

#include "runtime/engine/BlockingWait.h"
#include "runtime/engine/Models.h"
#include "runtime/engine/TaskFailure.h"
#include "runtime/exec/Shell.h"
#include "runtime/exec/ShellQuote.h"
#include "runtime/interp/Conform.h"
#include "runtime/io/AtomicWrite.h"
#include "runtime/io/ConformItem.h"
#include "runtime/io/DataError.h"
#include "runtime/io/DataFile.h"
#include "runtime/io/Hdf5.h"
#include "runtime/io/Npy.h"
#include "runtime/io/PrintableName.h"
#include "runtime/io/RawElements.h"
#include "runtime/io/ValueCodec.h"
#include "runtime/io/WriteFormats.h"
#include "runtime/provenance/ContentHash.h"
#include "runtime/values/Text.h"

#include "planformat/FileTargets.h"

#include <fstream>

namespace xdml::runtime {

using K = Value::Kind;

std::optional<Value> Firing::call(const Expr& e, const Scope& scope, Evaluator& ev) {
    if (isTaskCall(e)) {
        // A task inside a larger expression: its result comes back to this expression's site.
        const std::string site = *evalSite_;
        DatumPtr result = startTask(e, true)->get();
        return sink_.moveTo(result, site)->value;
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
        return std::filesystem::path(sink_.resolve(p.asString(), name == "write"));
    };
    if (name == "seq") {
        if (!e.args.empty() && isLocalName(e.args[0])) {
            DatumPtr d = local(e.args[0].name);
            return Value::integer(d->seq >= 0 ? d->seq : seq_);
        }
        return Value::integer(seq_);
    }
    if (name == "now") return Value::quantity(QuantityKind::Duration, sink_.now());
    if (name == "count" && e.args.size() == 1 && e.args[0].op == Expr::Op::Name &&
        e.args[0].binding == NameBinding::OtherGlobal && e.args[0].declares == DeclKind::Catalog)
        return Value::integer(sink_.count(e.args[0].name));
    if (name == "sh") {
        Value cmd = arg(0);
        if (!cmd.is(K::String)) throw EvalError("'sh' takes a string, got " + describe(cmd));
        requireNoNul(cmd.asString(), "sh");
        ShellResult r = [&] {
            BlockingWait blocking;  // the command runs in a process of its own
            return runShell(cmd.asString(), context_.workdir);
        }();
        if (r.status != 0) throw TaskFailure(shellFailure(r, cmd.asString()), e.line);
        return Value::string(r.out);
    }
    if (name == "exists") return Value::boolean(std::filesystem::exists(pathArg(0)));
    if (name == "size") {
        std::error_code ec;
        const auto p = pathArg(0);
        const auto bytes = std::filesystem::file_size(p, ec);
        if (ec) throw DataError(printableName(p.string()), "cannot read its size: " + ec.message());
        return Value::quantity(QuantityKind::Bytes, static_cast<double>(bytes));
    }
    if (name == "read") {
        // An HDF5 dataset's file is found as any file is; the dataset stays as written.
        const Value path = arg(0);
        if (!path.is(K::String)) throw EvalError("'read' takes a path, got " + describe(path));
        const planformat::FileTarget target = planformat::fileTarget(path.asString());
        const std::string file = sink_.resolve(target.file, false);
        return read(e, target.dataset.empty() ? file : file + ":" + target.dataset);
    }
    if (name == "write") {
        // By the extension (LANGUAGE.md §9); an HDF5 file takes `file.h5:/dataset` (else /data).
        const Value path = arg(0);
        if (!path.is(K::String)) throw EvalError("'write' takes a path, got " + describe(path));
        const planformat::FileTarget target = planformat::fileTarget(path.asString());
        const std::filesystem::path file(sink_.resolve(target.file, true));
        Value v = arg(1);
        std::error_code ec;
        if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
        std::string bytes;             // what the file holds (for HDF5: the dataset's elements)
        const std::byte* held = nullptr;
        std::string recorded = file.string();
        // With provenance the run syncs what write() wrote before it records it, a group at a
        // time (Store::writtenFile); else each file is synced as it is written.
        const Durability durability = sink_.syncsWrittenFiles() ? Durability::Scratch : Durability::Synced;
        try {
            if (target.format == planformat::FileFormat::Hdf5) {
                if (!v.is(K::Tensor)) throw DataError(printableName(file.string()), "an HDF5 dataset takes a tensor, got " + describe(v));
                const std::string dataset = target.dataset.empty() ? "/data" : target.dataset;
                writeHdf5Tensor(file, dataset, v.asTensor(), durability);
                recorded += ":" + dataset;  // the item's provenance names the file and the dataset
            } else {
                if (!target.dataset.empty()) throw DataError(printableName(file.string()), "only an HDF5 file has datasets");
                bytes = encodeForFile(target.format, v, printableName(file.string()));
                writeFileAtomically(file, bytes, durability);
            }
        } catch (const WriteError& e) {
            throw WriteError(e.path(), "cannot write it: " + e.reason());
        } catch (const DataError& error) {
            throw EvalError(error.what(), e.line);  // the value does not fit the format: at the statement
        }
        // An HDF5 dataset is recorded by its elements' hash, as the item it was, without a copy.
        std::size_t size = bytes.size();
        if (target.format == planformat::FileFormat::Hdf5) {
            const Tensor& t = v.asTensor();
            held = t.buffer->data();
            size = t.count() * elemSize(t.elem);
        }
        const void* content = held ? static_cast<const void*>(held) : static_cast<const void*>(bytes.data());
        sink_.fileUsed({recorded, size, context_.recordsFiles ? prov::contentHash(content, size) : "", *evalSite_, true,
                        durability == Durability::Synced});
        return Value::none();
    }
    return std::nullopt;
}

Value Firing::read(const Expr& e, const std::filesystem::path& p) {
    if (e.args.size() < 2 || e.args[1].binding != NameBinding::Type) throw EvalError("'read' takes a path and a type name");
    // `read(p, string)` (or `path`) reads text: those are built-in names, not declared types.
    TypeDesc named;
    const std::string& typeName = e.args[1].name;
    named.kind = typeName == "string" ? TypeDesc::Kind::String : typeName == "path" ? TypeDesc::Kind::Path : TypeDesc::Kind::Named;
    named.name = typeName;
    const TypeDesc& t = context_.program.structure(named);
    const bool tensor = t.kind == TypeDesc::Kind::Tensor;
    const std::string shown = printableName(p.string());
    if (!tensor && t.kind != TypeDesc::Kind::String && t.kind != TypeDesc::Kind::Path)
        throw EvalError(shown + ": 'read' cannot decode a file into " + e.args[1].name, e.line);
    Value v;
    std::vector<std::byte> bytes;
    try {
        // The one reader of data files: a directory, a FIFO or a file larger than the type are
        // refused with their path, before anything is read.
        const planformat::FileTarget target = planformat::fileTarget(p.string());
        // HDF5 and raw tensors are read straight into the tensor and recorded by its elements.
        const bool hdf5 = tensor && target.format == planformat::FileFormat::Hdf5;
        if (hdf5 || (tensor && target.format == planformat::FileFormat::Raw)) {
            // `f.h5:/entry/data` (or `f.h5`: its /data, where write() puts a tensor).
            const std::string dataset = target.dataset.empty() ? "/data" : target.dataset;
            const Tensor read = hdf5 ? readHdf5Tensor(target.file, dataset, t) : readRawFile(p, t);
            const std::size_t n = read.count() * elemSize(read.elem);
            if (context_.recordsFiles)
                sink_.fileUsed({hdf5 ? target.file + ":" + dataset : p.string(), n, prov::contentHash(read.buffer->data(), n),
                                *evalSite_, false});
            return Value::tensor(read);
        }
        bytes = readDataFile(p, tensor ? npyFileLimit(t) : ByteLimit{});
        v = tensor ? conformItem(decodeNpy(bytes.data(), bytes.size(), shown), t, shown)
                   : Value::string(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    } catch (const DataError& error) {
        throw EvalError(error.what(), e.line);  // at the statement's line, even at flow level
    }
    if (context_.recordsFiles)
        sink_.fileUsed({p.string(), bytes.size(), prov::contentHash(bytes.data(), bytes.size()), *evalSite_, false});
    return v;
}

std::optional<Value> Firing::modelCall(const Expr& e, const Scope& scope, Evaluator& ev) {
    const bool callsModel = e.binding == NameBinding::OtherGlobal && e.declares == DeclKind::Model;
    const bool mlBuiltin = e.binding == NameBinding::Builtin && (e.name == "probs" || e.name == "version" || e.name == "accuracy");
    if (!callsModel && !mlBuiltin) return std::nullopt;
    auto arg = [&](std::size_t i) -> const Expr& {
        if (i >= e.args.size()) throw EvalError("'" + e.name + "' needs more arguments", e.line);
        return e.args[i];
    };
    ModelQuery q;
    q.line = e.line;
    if (callsModel) {
        q.model = e.name;
        q.input = ev.evaluate(arg(0), scope);
    } else {
        const Expr& model = arg(0);
        if (model.op != Expr::Op::Name || model.declares != DeclKind::Model)
            throw EvalError("'" + e.name + "' takes a model as its first argument", e.line);
        q.model = model.name;
        q.kind = e.name == "version" ? ModelQuery::Kind::Version
               : e.name == "probs"   ? ModelQuery::Kind::Probs
                                     : ModelQuery::Kind::Accuracy;
        if (q.kind == ModelQuery::Kind::Probs) q.input = ev.evaluate(arg(1), scope);
        if (q.kind == ModelQuery::Kind::Accuracy) {
            const Expr& stream = arg(1);
            if (stream.op != Expr::Op::Name) throw EvalError("'accuracy' takes a model and a stream", e.line);
            q.stream = stream.name;
        }
    }
    try {
        return sink_.askModel(q);
    } catch (const ModelError& error) {
        throw EvalError(error.what(), e.line);
    }
}

}  // namespace xdml::runtime
