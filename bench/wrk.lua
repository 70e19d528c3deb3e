-- Every scenario's requests: a JSON summary line at the end, which bench/run.py parses.
-- Arguments (after --): method, path template with %07d for the order index, first index, count,
-- mode ("random" or "sequence"), access token.
local method, template, first, count, mode, token

function init(args)
  method, template = args[1], args[2]
  first, count, mode, token = tonumber(args[3]), tonumber(args[4]), args[5], args[6]
  math.randomseed(os.time())
  next_index = first
end

function request()
  local index
  if mode == "sequence" then
    -- One thread drives all connections, so one counter gives every POST its own order.
    index = next_index
    next_index = next_index + 1
  else
    index = first + math.random(0, count - 1)
  end
  local headers = nil
  if token ~= "" then headers = { ["x-amz-access-token"] = token } end
  return wrk.format(method, string.format(template, index), headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
