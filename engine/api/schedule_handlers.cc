// Schedule and admin handlers: GET/DELETE /v1/cases/{case_id}/schedule[...] and
// POST /v1/admin/reload. Reads go straight to the ScheduleStore (each of its commits is
// atomic for readers); every change goes through the ServerDeps hooks, which serialise
// with the rule worker (see engine/rules/schedule_control.h).
#include <string>

#include "engine/api/http_server_impl.h"
#include "engine/core/time_format.h"

namespace herald {
namespace {

const char* PlanStatusName(PlanStatus s) {
  switch (s) {
    case PlanStatus::kPending:
      return "pending";
    case PlanStatus::kDone:
      return "done";
    case PlanStatus::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

// Times as RFC 3339; 0 (unset) as null.
nlohmann::json TimeJson(Micros t) {
  return t == 0 ? nlohmann::json(nullptr) : nlohmann::json(FormatRfc3339(t));
}

nlohmann::json PlanJson(const Plan& p) {
  return {{"id", p.key.campaign + "/" + p.key.rule},
          {"campaign", p.key.campaign},
          {"rule", p.key.rule},
          {"case_id", p.key.case_id},
          {"status", PlanStatusName(p.status)},
          {"recipient_id", p.recipient_id},
          {"template", p.template_id},
          {"times", p.times},
          {"sent", p.sent},
          {"due", TimeJson(p.due)},
          {"fire_at", TimeJson(p.fire_at)},
          {"deferred_by",
           p.deferred_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.deferred_by)},
          {"reason", p.reason},
          {"planned_seq", p.planned_seq},
          {"updated_at", TimeJson(p.updated_at)}};
}

nlohmann::json RecordJson(const PlanRecord& r) {
  return {{"plan", r.plan.campaign + "/" + r.plan.rule},
          {"what", r.what},
          {"at", TimeJson(r.at)},
          {"due", TimeJson(r.due)},
          {"fire_at", TimeJson(r.fire_at)},
          {"occurrence", r.occurrence},
          {"reason", r.reason}};
}

void SendScheduleNotRunning(httplib::Response& res) {
  SendError(res, 503, "schedule_not_running", "schedule not running");
}

}  // namespace

void HttpServer::Impl::GetSchedule(const httplib::Request& req, httplib::Response& res) {
  if (!Authorize(req, res, Scope::kAdmin)) return;
  if (deps.schedule == nullptr) return SendScheduleNotRunning(res);
  const std::string case_id = req.matches[1];
  Result<std::vector<Plan>> plans = deps.schedule->PlansForCase(case_id);
  if (!plans.ok()) return SendStoreFailure(res, plans.status());
  Result<std::vector<PlanRecord>> records = deps.schedule->RecordsForCase(case_id);
  if (!records.ok()) return SendStoreFailure(res, records.status());
  if (plans->empty() && records->empty()) {
    return SendError(res, 404, "schedule_not_found", "nothing was ever planned for this case",
                     {{"case_id", case_id}});
  }
  nlohmann::json plan_list = nlohmann::json::array();
  for (const Plan& p : *plans) plan_list.push_back(PlanJson(p));
  nlohmann::json record_list = nlohmann::json::array();
  for (const PlanRecord& r : *records) record_list.push_back(RecordJson(r));
  SendJson(
      res, 200,
      {{"case_id", case_id}, {"plans", std::move(plan_list)}, {"records", std::move(record_list)}});
}

void HttpServer::Impl::DeleteSchedulePlan(const httplib::Request& req, httplib::Response& res) {
  const ApiKeyConfig* key = nullptr;
  if (!Authorize(req, res, Scope::kAdmin, &key)) return;
  if (deps.schedule == nullptr || !deps.cancel_plan) return SendScheduleNotRunning(res);
  const PlanKey plan_key{req.matches[2], req.matches[3], req.matches[1]};
  Result<Plan> cancelled = deps.cancel_plan(plan_key, "cancelled by API key '" + key->id + "'");
  if (!cancelled.ok()) {
    const Status& s = cancelled.status();
    const nlohmann::json where = {{"case_id", plan_key.case_id},
                                  {"plan", plan_key.campaign + "/" + plan_key.rule}};
    if (s.IsNotFound()) {
      return SendError(res, 404, "plan_not_found", "no such plan for this case", where);
    }
    if (s.IsConflict()) {
      // Say what it is instead, so the caller need not GET to find out.
      nlohmann::json extra = where;
      Result<std::optional<Plan>> current = deps.schedule->GetPlan(plan_key);
      if (current.ok() && *current) extra["status"] = PlanStatusName((*current)->status);
      return SendError(res, 409, "plan_not_pending",
                       "only a pending plan can be cancelled; this one is not", extra);
    }
    return SendStoreFailure(res, s);
  }
  SendJson(res, 200, {{"plan", PlanJson(*cancelled)}});
}

void HttpServer::Impl::PostReload(const httplib::Request& req, httplib::Response& res) {
  if (!Authorize(req, res, Scope::kAdmin)) return;
  if (!deps.reload) return SendScheduleNotRunning(res);
  Result<ReloadOutcome> outcome = deps.reload();
  if (!outcome.ok()) return SendStoreFailure(res, outcome.status());
  if (!outcome->errors.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const ConfigError& e : outcome->errors) {
      list.push_back({{"file", e.file},
                      {"line", e.line},
                      {"column", e.column},
                      {"message", e.message},
                      {"text", e.ToString()}});
    }
    return SendError(res, 422, "invalid_campaigns",
                     "the new campaigns have errors; the running ones were kept",
                     {{"errors", std::move(list)}});
  }
  SendJson(res, 200,
           {{"campaigns", outcome->campaigns},
            {"rules", outcome->rules},
            {"cancelled", outcome->cancelled},
            {"replanned", outcome->replanned}});
}

}  // namespace herald
