# Tokens are kept as SHA-256 digests, compared with CRYPTO_memcmp (libssl-dev).
find_package(OpenSSL REQUIRED)

# The scheduler core, its gRPC services and server (included from scheduler/CMakeLists.txt).
augur_library(augur_scheduler
  SRCS scheduler.cc worker_session.cc session_registry.cc point_writer.cc trial_curves.cc
       trial_curves_load.cc
       milestones.cc round_planner.cc decider.cc dispatcher.cc sweep_control.cc sweep_limits.cc
       trial_speed.cc model_cache.cc model_file.cc policy_runner.cc auth.cc token_table.cc services.cc store_health.cc
       curve_export.cc waiting_reason.cc
  DEPS augur_store augur_planner augur_predictor augur_proto augur_common augur_schedule_proto absl::status
       absl::statusor absl::strings absl::str_format absl::synchronization absl::time
       absl::flat_hash_map Threads::Threads OpenSSL::Crypto)
augur_test(scheduler_test SRCS scheduler_test.cc scheduler_decision_test.cc policy_runner_test.cc
           trial_curves_test.cc dispatcher_test.cc sweep_control_test.cc milestones_test.cc
           scheduler_sync_test.cc scheduler_device_test.cc trial_curves_memory_test.cc
           trial_curves_decisions_test.cc
           DEPS augur_scheduler)

augur_library(augur_scheduler_server
  SRCS server.cc store_lock.cc listen_policy.cc
  DEPS augur_scheduler augur_planner augur_sqlite_store augur_tls gRPC::grpc++)
augur_binary(augur-scheduler SRCS scheduler_main.cc DEPS augur_scheduler_server augur_common augur_grpc_log)

# Each part of the scheduler at its own boundary (scheduler_test drives the whole facade).
augur_test(scheduler_parts_test
  SRCS session_registry_test.cc commit_priority_test.cc point_writer_test.cc decider_test.cc
       sweep_limits_test.cc trial_speed_test.cc
  DEPS augur_scheduler)
augur_test(server_test SRCS server_test.cc DEPS augur_scheduler_server)
# Tokens, rotation, mutual TLS for workers and the listen policy (issue 17).
augur_test(authorizer_test SRCS authorizer_test.cc DEPS augur_scheduler_server)
