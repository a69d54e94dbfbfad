# Sourced by make-bench.sh (and its test): a bench's own ports in sites/common_site_config.json.

# write_bench_ports PYTHON CONF REDIS_CACHE_PORT REDIS_QUEUE_PORT USER: Redis at the bench's own
# ports, and socket.io and web ports derived from the Redis base's hundreds (13000: 9030 and
# 8030; 13100: 9031 and 8031). With one socket.io port for two benches, the one started first
# answered the other's pages, which then never got a realtime event. Written every time, so an
# existing bench (CI reuses them) is corrected as well; the file's other keys are kept.
write_bench_ports() {
  "$1" - "$2" "$3" "$4" "$5" <<'PY'
import json, os, sys
path, cache, queue, user = sys.argv[1:5]
conf = json.load(open(path)) if os.path.exists(path) else {}
conf.update({
    "redis_cache": f"redis://127.0.0.1:{cache}",
    "redis_queue": f"redis://127.0.0.1:{queue}",
    "redis_socketio": f"redis://127.0.0.1:{queue}",
    "socketio_port": 9000 + int(cache) // 100 % 100,
    "webserver_port": 8000 + int(cache) // 100 % 100,
})
# bench's CLI refuses to run as root unless frappe_user names the user it may run as.
conf["frappe_user"] = user
json.dump(conf, open(path, "w"), indent=1, sort_keys=True)
PY
}
