-- wrk script for bench/queues.py: each wrk thread loops SendMessageBatch(10),
-- ReceiveMessage(10), DeleteMessageBatch(the handles it received), over the JSON protocol,
-- bodies prepared ahead. `wrk ... -s queues_wrk.lua URL -- <QueueUrl> <body bytes>`.
-- Counts messages deleted (the figure), and refuses to hide errors (printed at the end).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  queue_url = args[1]
  local body = string.rep("x", tonumber(args[2] or "200"))
  local entries = {}
  for i = 0, 9 do
    entries[#entries + 1] = string.format('{"Id":"m%d","MessageBody":"%s"}', i, body)
  end
  send_request = wrk.format("POST", "/", {
    ["X-Amz-Target"] = "AmazonSQS.SendMessageBatch",
    ["Content-Type"] = "application/x-amz-json-1.0",
  }, string.format('{"QueueUrl":"%s","Entries":[%s]}', queue_url, table.concat(entries, ",")))
  receive_request = wrk.format("POST", "/", {
    ["X-Amz-Target"] = "AmazonSQS.ReceiveMessage",
    ["Content-Type"] = "application/x-amz-json-1.0",
  }, string.format('{"QueueUrl":"%s","MaxNumberOfMessages":10}', queue_url))
  handles = {}
  step = 0
  deleted = 0
  errors = 0
  last_error = ""
end

local function delete_request()
  local entries = {}
  for i = 1, math.min(10, #handles) do
    local handle = table.remove(handles)
    entries[#entries + 1] = string.format('{"Id":"%d","ReceiptHandle":"%s"}', i, handle)
  end
  return wrk.format("POST", "/", {
    ["X-Amz-Target"] = "AmazonSQS.DeleteMessageBatch",
    ["Content-Type"] = "application/x-amz-json-1.0",
  }, string.format('{"QueueUrl":"%s","Entries":[%s]}', queue_url, table.concat(entries, ",")))
end

function request()
  step = step + 1
  local phase = step % 3
  if phase == 1 then
    return send_request
  elseif phase == 2 or #handles == 0 then
    return receive_request
  end
  return delete_request()
end

function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    last_error = string.sub(body, 1, 200)
    return
  end
  for handle in string.gmatch(body, '"ReceiptHandle":"([^"]+)"') do
    handles[#handles + 1] = handle
  end
  if string.find(body, '"Successful"', 1, true) and not string.find(body, '"MessageId"', 1, true) then
    for _ in string.gmatch(body, '"Id":') do
      deleted = deleted + 1
    end
  end
end

function done(summary, latency, requests)
  local total, failed, last = 0, 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("deleted")
    failed = failed + thread:get("errors")
    if thread:get("last_error") ~= "" then
      last = thread:get("last_error")
    end
  end
  io.write(string.format("DELETED %d ERRORS %d %s\n", total, failed, last))
end
