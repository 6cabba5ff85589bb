// The Host port's ledger, kept in SQLite (table ledger).
#pragma once

#include "lib/host/host.h"
#include "lib/store/store.h"

namespace jaild::engine {

class store_ledger : public host::ledger {
 public:
  explicit store_ledger(store::store& db) : db_(db) {}
  void record(const host::object& obj) override {
    db_.ledger_add({0, std::string(host::object_kind_name(obj.kind)), obj.key, obj.owner,
                    obj.attrs, 0});
  }
  void forget(const host::object& obj) override {
    db_.ledger_remove(std::string(host::object_kind_name(obj.kind)), obj.key);
  }

 private:
  store::store& db_;
};

}  // namespace jaild::engine
