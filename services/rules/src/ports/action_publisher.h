// Where fired actions go (edfleet.actions.v1).
#pragma once

#include <vector>

#include "domain/action.h"

namespace edfleet::rules {

class ActionPublisher {
 public:
  virtual ~ActionPublisher() = default;
  // Returns once every action is acknowledged; throws when one is not (the caller retries: the ids
  // are deterministic, so consumers see a re-published action as the same action).
  virtual void publish(const std::vector<Action>& actions) = 0;
};

}  // namespace edfleet::rules
