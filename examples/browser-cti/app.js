// Centralino browser CTI example: AMI over WebSocket, every AMI message one JSON object
// ({"Event": "Newchannel", ...}, a repeated key's values as an array); actions go the other way.
// A browser cannot set an Authorization header on a WebSocket, so this page logs in with AMI's
// Login action (the tenant's AMI user: its ACL, lockout and classes apply). No cookies are used.
"use strict";

const $ = (id) => document.getElementById(id);
let socket = null;
let nextID = 1;
let originateID = null;
// Channels by Uniqueid: the live calls, then the ended ones (at most 20 kept).
const channels = new Map();

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function log(message) {
  const line = JSON.stringify(message);
  const pre = $("log");
  pre.textContent = (line + "\n" + pre.textContent).slice(0, 8000);
}

function send(action) {
  action.ActionID = action.ActionID || "cti-" + nextID++;
  socket.send(JSON.stringify(action));
  return action.ActionID;
}

function connect(event) {
  event.preventDefault();
  if (socket) socket.close();
  channels.clear();
  render();
  setStatus("connecting");
  socket = new WebSocket($("server").value);
  socket.onopen = () => {
    setStatus("logging in");
    send({ Action: "Login", Username: $("username").value, Secret: $("password").value, Events: "call", ActionID: "login" });
  };
  socket.onmessage = (message) => handle(JSON.parse(message.data));
  socket.onclose = (close) => {
    setStatus("disconnected" + (close.reason ? " (" + close.reason + ")" : ""), !close.wasClean || close.code !== 1000);
    $("c2c-call").disabled = true;
    $("disconnect").disabled = true;
    socket = null;
  };
  socket.onerror = () => setStatus("connection failed", true);
}

function handle(message) {
  log(message);
  if (message.ActionID === "login") {
    if (message.Response === "Success") {
      setStatus("logged in as " + $("username").value);
      $("c2c-call").disabled = false;
      $("disconnect").disabled = false;
    } else {
      setStatus("login failed: " + (message.Message || "error"), true);
    }
    return;
  }
  if (originateID && message.ActionID === originateID) {
    if (message.Event === "OriginateResponse") {
      $("c2c-result").textContent = message.Response + " (Reason " + message.Reason + ")";
    } else if (message.Response) {
      $("c2c-response").textContent = message.Response + ": " + (message.Message || "");
    }
  }
  switch (message.Event) {
    case "Newchannel":
      channels.set(message.Uniqueid, {
        uniqueid: message.Uniqueid, channel: message.Channel, caller: message.CallerIDNum,
        exten: message.Exten, state: message.ChannelStateDesc, linkedid: message.Linkedid, ended: false,
      });
      break;
    case "Newstate": {
      const channel = channels.get(message.Uniqueid);
      if (channel) channel.state = message.ChannelStateDesc;
      break;
    }
    case "BridgeEnter": {
      const channel = channels.get(message.Uniqueid);
      if (channel) channel.state = "Bridged";
      break;
    }
    case "Hangup": {
      const channel = channels.get(message.Uniqueid);
      if (channel) {
        channel.state = "Hangup (" + (message["Cause-txt"] || message.Cause) + ")";
        channel.ended = true;
      }
      const ended = [...channels.values()].filter((c) => c.ended);
      for (const old of ended.slice(0, Math.max(0, ended.length - 20))) channels.delete(old.uniqueid);
      break;
    }
    default:
      return;
  }
  render();
}

function render() {
  const body = $("calls").tBodies[0];
  body.replaceChildren();
  if (channels.size === 0) {
    const row = body.insertRow();
    row.className = "empty";
    const cell = row.insertCell();
    cell.colSpan = 6;
    cell.textContent = "No call.";
    return;
  }
  for (const c of channels.values()) {
    const row = body.insertRow();
    row.dataset.uniqueid = c.uniqueid;
    if (c.ended) row.className = "ended";
    for (const value of [c.uniqueid, c.channel, c.caller, c.exten, c.state, c.linkedid]) {
      row.insertCell().textContent = value || "";
    }
  }
}

// KalliopePBX click-to-call: the agent's phone rings first (Local/<ext>@c2c), then the number is dialled.
function clickToCall(event) {
  event.preventDefault();
  const ext = $("c2c-ext").value.trim();
  const number = $("c2c-number").value.trim();
  const variables = ["C2C_SRC=" + ext, "C2C_DST=" + number];
  const tenant = $("c2c-tenant").value.trim();
  if (tenant) variables.push("__TENANT_UUID=" + tenant);
  $("c2c-response").textContent = "sent";
  $("c2c-result").textContent = "waiting";
  originateID = send({
    Action: "Originate", Async: "true", Channel: "Local/" + ext + "@c2c", Context: "from_c2c", Exten: number,
    Priority: "1", CallerID: '"c2c: ' + number + '" <' + number + ">", Timeout: "30000", Variable: variables,
  });
}

$("login-form").addEventListener("submit", connect);
$("c2c-form").addEventListener("submit", clickToCall);
$("disconnect").addEventListener("click", () => {
  if (socket) send({ Action: "Logoff" });
});
