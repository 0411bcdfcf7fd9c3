// CatalogStore.cpp — see CatalogStore.h.
#include "runtime/catalog/CatalogStore.h"

#include "runtime/catalog/ColumnCodec.h"
#include "runtime/catalog/RowLineage.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <map>

namespace xdml::runtime {

namespace {

using catalog::Cell;
using catalog::hasRunTimeDims;
using catalog::parseTypeText;
using catalog::sqlDeclaredType;
using catalog::typeText;
using K = TypeDesc::Kind;
using sqlite::quoteIdentifier;
using sqlite::Statement;
using sqlite::Transaction;

const char* const kSidecarTable = "xdml_columns";
const char* const kShapesTable = "xdml_shapes";

// Each store has its own connection; WAL with synchronous=NORMAL lets several, in this process
// or others, share one file, and is where a file that is not a database first shows.
const sqlite::ConnectionPolicy kCatalogConnection{
    .raise = &sqlite::raiseAs<CatalogError>,
    .role = "catalog database",
    // Long enough for a burst of worker threads or another process to finish their commits; a
    // commit in WAL mode with synchronous=NORMAL takes well under a millisecond.
    .busyTimeoutMs = 60000,
    .pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
};

struct Column {
    std::string name, type;  // type: the XDML type text, or the SQL declared type when unknown
};

std::string columnList(const std::vector<Column>& columns, bool withTypes) {
    std::string out = "(";
    for (std::size_t i = 0; i < columns.size(); ++i)
        out += (i ? ", " : "") + columns[i].name + (withTypes ? ": " + columns[i].type : "");
    return out + ")";
}

/// The sidecar's type text for each column of a catalog, normalised through the parser so
/// spacing never makes a mismatch; text that does not parse is kept as it is.
std::map<std::string, std::string> sidecarTypes(sqlite::Connection& db, const std::string& table) {
    Statement q = db.prepare(std::string("SELECT \"column\", type FROM ") + kSidecarTable + " WHERE catalog = ?");
    q.bindText(1, table);
    std::map<std::string, std::string> out;
    while (q.step()) {
        std::string text = q.columnText(1);
        try {
            text = typeText(parseTypeText(text));
        } catch (const CatalogError&) {
        }
        out[q.columnText(0)] = text;
    }
    return out;
}

/// The table's columns in order with their SQL declared types.
std::vector<std::pair<std::string, std::string>> tableColumns(sqlite::Connection& db, const std::string& table) {
    Statement q = db.prepare("SELECT name, type FROM pragma_table_info(?) ORDER BY cid");
    q.bindText(1, table);
    std::vector<std::pair<std::string, std::string>> out;
    while (q.step()) out.emplace_back(q.columnText(0), q.columnText(1));
    return out;
}

bool sameIgnoringCase(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

}  // namespace

std::unique_ptr<CatalogStore> CatalogStore::open(std::filesystem::path dbFile, std::string table,
                                                 TypeDesc recordType, const TypeResolver& structure) {
    const std::string where = dbFile.string() + ": catalog " + table + ": ";
    if (table.empty()) throw CatalogError(where + "a catalog needs a name");
    if (table == kSidecarTable || table == kShapesTable || table == catalog::kLineageTable)
        throw CatalogError(where + "the name is reserved for the catalog's own tables");
    TypeDesc type;
    try {
        type = catalog::resolveStructure(recordType, structure);
    } catch (const CatalogError& e) {
        throw CatalogError(where + e.what());
    }
    if (type.kind != K::Record) throw CatalogError(where + "type " + typeText(type) + " is not a record");
    if (type.fields.empty()) throw CatalogError(where + "a record with no fields has no columns");

    // The path is relative to the work directory, which may not have the folder yet. A failure
    // here shows as SQLite's "cannot open" below, which names the file.
    std::error_code ignored;
    if (dbFile.has_parent_path()) std::filesystem::create_directories(dbFile.parent_path(), ignored);

    std::unique_ptr<CatalogStore> store(new CatalogStore(std::move(dbFile), std::move(table), std::move(type)));
    store->createOrCheckTable();
    return store;
}

std::optional<TypeDesc> CatalogStore::storedType(const std::filesystem::path& dbFile, const std::string& table) {
    sqlite::ConnectionPolicy reading = kCatalogConnection;
    reading.pragmas = nullptr;  // never switch a file to WAL only to look at it
    reading.readOnly = true;
    sqlite::Connection db(dbFile, reading);
    Transaction tx(db, Transaction::Mode::Read);
    if (tableColumns(db, kSidecarTable).empty()) return std::nullopt;
    std::map<std::string, std::string> known = sidecarTypes(db, table);
    if (known.empty()) return std::nullopt;
    TypeDesc record;
    record.kind = K::Record;
    for (const auto& [name, sqlType] : tableColumns(db, table)) {
        if (name == kRunColumn) continue;
        auto k = known.find(name);
        if (k == known.end()) throw CatalogError(dbFile.string() + ": table " + table + " has column " + name + " with no XDML type in " + kSidecarTable);
        record.fields.push_back({name, parseTypeText(k->second)});
    }
    if (record.fields.empty()) return std::nullopt;
    return record;
}

CatalogStore::CatalogStore(std::filesystem::path file, std::string table, TypeDesc type)
    : file_(std::move(file)), table_(std::move(table)), type_(std::move(type)),
      db_(std::make_unique<sqlite::Connection>(file_, kCatalogConnection)) {
    for (std::size_t i = 0; i < type_.fields.size(); ++i)
        if (hasRunTimeDims(type_.fields[i].type)) shapedColumns_.push_back(i);
}

CatalogStore::~CatalogStore() = default;

void CatalogStore::fail(const std::string& what) const {
    throw CatalogError(file_.string() + ": table " + table_ + what);
}

void CatalogStore::createOrCheckTable() {
    const std::string quoted = quoteIdentifier(table_);
    // One write transaction, so two stores opening the same catalog at once see one create it.
    Transaction tx(*db_, Transaction::Mode::Write);
    db_->exec(std::string("CREATE TABLE IF NOT EXISTS ") + kSidecarTable +
              " (catalog TEXT NOT NULL, \"column\" TEXT NOT NULL, type TEXT NOT NULL, PRIMARY KEY (catalog, \"column\"))");
    if (!shapedColumns_.empty())
        db_->exec(std::string("CREATE TABLE IF NOT EXISTS ") + kShapesTable +
                  " (catalog TEXT NOT NULL, \"column\" TEXT NOT NULL, \"row\" INTEGER NOT NULL, dims TEXT NOT NULL,"
                  " PRIMARY KEY (catalog, \"column\", \"row\"))");
    catalog::createLineageTable(*db_);

    std::vector<std::pair<std::string, std::string>> existing = tableColumns(*db_, table_);
    if (existing.empty()) {
        std::string create = "CREATE TABLE " + quoted + " (";
        for (std::size_t i = 0; i < type_.fields.size(); ++i) {
            const TypeDesc& t = type_.fields[i].type;
            create += (i ? ", " : "") + quoteIdentifier(type_.fields[i].name) + " " + sqlDeclaredType(t) +
                      (t.kind == K::Optional ? "" : " NOT NULL");
        }
        db_->exec(create + ", " + quoteIdentifier(kRunColumn) + " INTEGER)");
        // Sidecar rows or shapes left by a table someone dropped by hand describe nothing now.
        Statement clear = db_->prepare(std::string("DELETE FROM ") + kSidecarTable + " WHERE catalog = ?");
        clear.bindText(1, table_);
        clear.step();
        if (!shapedColumns_.empty()) {
            Statement clearShapes = db_->prepare(std::string("DELETE FROM ") + kShapesTable + " WHERE catalog = ?");
            clearShapes.bindText(1, table_);
            clearShapes.step();
        }
        catalog::clearLineage(*db_, table_);
    } else {
        // Compare what the table has with what is declared: XDML types where the sidecar knows
        // them, else SQL declared types (a table made by another tool).
        // The run column comes after the fields; a table made before it existed gets it now.
        const bool hasRun = !existing.empty() && existing.back().first == kRunColumn;
        if (hasRun) existing.pop_back();
        else addRunColumn(existing.size() == type_.fields.size());
        std::map<std::string, std::string> known = sidecarTypes(*db_, table_);
        std::vector<Column> has, declares;
        bool namesDiffer = existing.size() != type_.fields.size(), typesDiffer = false;
        for (std::size_t i = 0; i < existing.size(); ++i) {
            auto k = known.find(existing[i].first);
            has.push_back({existing[i].first, k != known.end() ? k->second : existing[i].second});
        }
        for (std::size_t i = 0; i < type_.fields.size(); ++i) {
            const FieldType& f = type_.fields[i];
            bool bySidecar = i >= existing.size() || known.count(existing[i].first);
            declares.push_back({f.name, bySidecar ? typeText(f.type) : sqlDeclaredType(f.type)});
            if (i >= existing.size()) continue;
            if (existing[i].first != f.name) namesDiffer = true;
            else if (bySidecar ? has[i].type != declares[i].type : !sameIgnoringCase(has[i].type, declares[i].type))
                typesDiffer = true;
        }
        if (namesDiffer || typesDiffer)
            fail(" has columns " + columnList(has, !namesDiffer) + " but the catalog declares " +
                 columnList(declares, !namesDiffer));
    }
    Statement sidecar = db_->prepare(std::string("INSERT OR IGNORE INTO ") + kSidecarTable + " VALUES (?, ?, ?)");
    for (const FieldType& f : type_.fields) {
        const std::string text = typeText(f.type);
        sidecar.bindText(1, table_);
        sidecar.bindText(2, f.name);
        sidecar.bindText(3, text);
        sidecar.step();
        sidecar.reset();
    }
    db_->exec("CREATE INDEX IF NOT EXISTS " + quoteIdentifier(table_ + "_by_run") + " ON " + quoted + " (" +
              quoteIdentifier(kRunColumn) + ")");
    tx.commit();

    std::string columns, params;
    for (std::size_t i = 0; i < type_.fields.size(); ++i) {
        columns += (i ? ", " : "") + quoteIdentifier(type_.fields[i].name);
        params += i ? ", ?" : "?";
    }
    columns += ", " + quoteIdentifier(kRunColumn);
    params += ", ?";
    insert_.emplace(db_->prepare("INSERT INTO " + quoted + " (" + columns + ") VALUES (" + params + ")"));
    if (!shapedColumns_.empty())
        insertShape_.emplace(db_->prepare(std::string("INSERT INTO ") + kShapesTable + " VALUES (?, ?, ?, ?)"));
    insertOrigin_.emplace(catalog::prepareLineageInsert(*db_));
    count_.emplace(db_->prepare("SELECT count(*) FROM " + quoted));
}

void CatalogStore::addRunColumn(bool fill) {
    db_->exec("ALTER TABLE " + quoteIdentifier(table_) + " ADD COLUMN " + quoteIdentifier(kRunColumn) + " INTEGER");
    if (!fill) return;  // the columns differ anyway: the check that follows says how
    Statement update = db_->prepare("UPDATE " + quoteIdentifier(table_) + " SET " + quoteIdentifier(kRunColumn) +
                                    " = (SELECT run FROM " + catalog::kLineageTable + " WHERE catalog = ? AND \"row\" = " +
                                    quoteIdentifier(table_) + ".rowid)");
    update.bindText(1, table_);
    update.step();
}

void CatalogStore::setRun(int64_t run, const std::vector<int64_t>& resumed) {
    std::lock_guard lock(mutex_);
    run_ = run;
    // The ids are integers the run knows, not user text: they go into the statement as they are.
    std::string ids = std::to_string(run);
    for (int64_t r : resumed) ids += ", " + std::to_string(r);
    countOfRun_.emplace(db_->prepare("SELECT count(*) FROM " + quoteIdentifier(table_) + " WHERE " +
                                     quoteIdentifier(kRunColumn) + " IN (" + ids + ")"));
}

int64_t CatalogStore::record(const Value& rec, const prov::RecordOrigin* origin) {
    if (!rec.is(Value::Kind::Record)) fail(" takes records of type " + typeText(type_) + ", not " + describe(rec));
    // Check and encode before taking any lock: other threads keep writing meanwhile.
    PendingRecord mine;
    mine.cells.reserve(type_.fields.size());
    try {
        for (const FieldType& f : type_.fields) {
            const Value* v = rec.asRecord().find(f.name);
            if (!v) throw CatalogError("the record has no field " + f.name);
            mine.cells.push_back(catalog::encodeColumn(*v, f.type, f.name));
        }
    } catch (const CatalogError& e) {
        fail(std::string(": ") + e.what());
    }
    mine.origin = origin;

    // Group commit: the records that arrive while a commit is under way wait for it, and the
    // first of them then commits them all in one transaction. A record alone commits at once,
    // as before; under load one commit's locks and log writes serve every record waiting.
    // Each waiter is woken by its own condition: once its record is through, or to commit next.
    std::unique_lock lock(groupMutex_);
    waiting_.push_back(&mine);
    if (!committing_) committing_ = mine.leads = true;
    while (!mine.done && !mine.leads) mine.wake.wait(lock);
    if (!mine.done) {
        std::vector<PendingRecord*> group;
        group.swap(waiting_);
        lock.unlock();
        commitGroup(group);
        lock.lock();
        for (PendingRecord* p : group) {
            p->done = true;
            if (p != &mine) p->wake.notify_one();  // it returns only once this lock is let go
        }
        if (waiting_.empty()) committing_ = false;
        else {
            waiting_.front()->leads = true;
            waiting_.front()->wake.notify_one();
        }
    }
    lock.unlock();
    if (mine.error) std::rethrow_exception(mine.error);
    ++recordedHere_;
    return mine.row;
}

int64_t CatalogStore::insertRow(const PendingRecord& r) {
    for (std::size_t i = 0; i < r.cells.size(); ++i) catalog::bindCell(*insert_, static_cast<int>(i + 1), r.cells[i]);
    const int64_t run = r.origin && r.origin->run > 0 ? r.origin->run : run_;
    if (run > 0) insert_->bindInt(static_cast<int>(r.cells.size() + 1), run);
    else insert_->bindNull(static_cast<int>(r.cells.size() + 1));
    insert_->run();
    const int64_t row = db_->lastInsertRowid();
    for (std::size_t i : shapedColumns_) {
        const Tensor* t = std::get_if<Tensor>(&r.cells[i]);
        if (!t) continue;  // an optional tensor that is none
        const std::string dims = nlohmann::json(t->dims).dump();
        insertShape_->bindText(1, table_);
        insertShape_->bindText(2, type_.fields[i].name);
        insertShape_->bindInt(3, row);
        insertShape_->bindText(4, dims);
        insertShape_->run();
    }
    if (r.origin) catalog::addOrigin(*insertOrigin_, table_, row, *r.origin);
    return row;
}

void CatalogStore::commitGroup(const std::vector<PendingRecord*>& group) {
    std::lock_guard lock(mutex_);
    if (!commitTogether(group) || group.size() == 1) return;
    // The group failed as a whole (its transaction rolled back): each record gets what it alone
    // would have got, a row or its own error, in a transaction of its own.
    for (PendingRecord* p : group) {
        p->error = nullptr;
        commitTogether({p});
    }
}

bool CatalogStore::commitTogether(const std::vector<PendingRecord*>& records) {
    const auto failAll = [&] {
        for (PendingRecord* p : records) p->error = std::current_exception();
    };
    std::optional<Transaction> tx;
    try {
        tx.emplace(*db_, Transaction::Mode::Write);
    } catch (...) {
        // No write lock (another process held it past the busy timeout): alone, each record
        // would wait as long again.
        failAll();
        return false;
    }
    try {
        for (PendingRecord* p : records) p->row = insertRow(*p);
        tx->commit();
        ++commits_;
        return false;
    } catch (...) {
        failAll();
        return true;
    }
}

std::size_t CatalogStore::waitingForCommit() const {
    std::lock_guard lock(groupMutex_);
    return waiting_.size();
}

int64_t CatalogStore::count() const {
    std::lock_guard lock(mutex_);
    if (run_ <= 0) return recordedHere_.load();
    countOfRun_->step();
    const int64_t n = countOfRun_->columnInt(0);
    countOfRun_->reset();
    return n;
}

int64_t CatalogStore::countAll() const {
    std::lock_guard lock(mutex_);
    count_->step();
    int64_t n = count_->columnInt(0);
    count_->reset();
    return n;
}

std::vector<Value> CatalogStore::rows(std::optional<int64_t> run, bool withRun) const {
    std::lock_guard lock(mutex_);
    // One snapshot for the sidecar, the shapes and the rows.
    Transaction tx(*db_, Transaction::Mode::Read);
    std::map<std::string, std::string> known = sidecarTypes(*db_, table_);
    std::vector<FieldType> columns;
    std::string select = "SELECT rowid";
    for (const auto& [name, sqlType] : tableColumns(*db_, table_)) {
        if (name == kRunColumn) continue;  // selected last, below
        auto k = known.find(name);
        // open() wrote the sidecar for every column, so the fallback is for the impossible case.
        const FieldType* declared = nullptr;
        for (const FieldType& f : type_.fields)
            if (f.name == name) declared = &f;
        if (k == known.end() && !declared) fail(" has column " + name + " with no XDML type in " + kSidecarTable);
        try {
            columns.push_back({name, k != known.end() ? parseTypeText(k->second) : declared->type});
        } catch (const CatalogError& e) {
            fail(std::string(": ") + e.what());
        }
        select += ", " + quoteIdentifier(name);
    }

    std::map<std::pair<std::string, int64_t>, std::vector<int64_t>> shapes;
    bool anyShaped = false;
    for (const FieldType& c : columns) anyShaped = anyShaped || hasRunTimeDims(c.type);
    if (anyShaped) {
        Statement q = db_->prepare(std::string("SELECT \"column\", \"row\", dims FROM ") + kShapesTable +
                                   " WHERE catalog = ?");
        q.bindText(1, table_);
        while (q.step()) {
            auto dims = nlohmann::json::parse(q.columnText(2), nullptr, false);
            bool ok = dims.is_array();
            for (const auto& d : dims) ok = ok && d.is_number_integer();
            if (!ok) fail(" has a shape that is not a list of sizes in " + std::string(kShapesTable));
            shapes[{q.columnText(0), q.columnInt(1)}] = dims.get<std::vector<int64_t>>();
        }
    }

    std::vector<Value> out;
    select += ", " + quoteIdentifier(kRunColumn);
    Statement q = db_->prepare(select + " FROM " + quoteIdentifier(table_) +
                               (run ? " WHERE " + quoteIdentifier(kRunColumn) + " = ?" : std::string()) + " ORDER BY rowid");
    if (run) q.bindInt(1, *run);
    try {
        while (q.step()) {
            const int64_t row = q.columnInt(0);
            RecordValue record;
            for (std::size_t i = 0; i < columns.size(); ++i) {
                std::optional<std::vector<int64_t>> dims;
                if (auto s = shapes.find({columns[i].name, row}); s != shapes.end()) dims = s->second;
                const std::string where = "row " + std::to_string(row) + " column " + columns[i].name;
                record.fields.push_back(
                    {columns[i].name, catalog::decodeColumn(q, static_cast<int>(i + 1), columns[i].type, dims, where)});
            }
            if (withRun) {
                const int at = static_cast<int>(columns.size() + 1);
                record.fields.push_back({kRunColumn, q.isNull(at) ? Value::none() : Value::integer(q.columnInt(at))});
            }
            out.push_back(Value::record(std::move(record)));
        }
    } catch (const CatalogError& e) {
        fail(std::string(": ") + e.what());
    }
    tx.commit();
    return out;
}

}  // namespace xdml::runtime
