#include "lib/model/event.h"

namespace jaild::model {

nlohmann::json event_to_json(const event& e) {
  return {{"seq", e.seq}, {"time", e.time_ms}, {"type", e.type},
          {"jail", e.jail}, {"data", e.data}};
}

}  // namespace jaild::model
