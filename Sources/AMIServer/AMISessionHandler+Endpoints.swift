import AMI
import Calls
import Foundation
import NIOCore

/// Endpoint, contact and state listings (PJSIP endpoints are the tenant's extensions).
extension AMISessionHandler {
    static func endpointDeviceState(_ state: String) -> String {
        switch state {
        case "NOT_INUSE": return "Not in use"
        case "INUSE": return "In use"
        case "RINGING", "RINGINUSE": return "Ringing"
        default: return "Unavailable"
        }
    }

    func listEndpoints(_ message: AMIMessage, context: ChannelHandlerContext, contacts: Bool) {
        let id = message.actionID
        withCalls(context, { $0.endpoints(tenant: $1, completion: $2) }) { handler, context, endpoints in
            if contacts {
                handler.send(.listStart(id, message: "A listing of Contacts follows, presented as ContactList events"), context: context)
                let items = endpoints.flatMap { endpoint in
                    endpoint.contacts.map { contact -> [(String, String)] in
                        let source = contact.source
                        let port = source.split(separator: ":").last.map(String.init) ?? ""
                        let host = String(source.dropLast(port.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                        return [
                            ("ObjectType", "contact"), ("ObjectName", "\(endpoint.number);@\(contact.contact)"),
                            ("ViaAddr", host), ("ViaPort", port), ("Endpoint", endpoint.number), ("Aor", endpoint.number),
                            ("Uri", contact.contact), ("UserAgent", contact.userAgent),
                            ("ExpirationTime", String(UInt64(Date().timeIntervalSince1970) + contact.expiresIn)),
                            ("Status", "Reachable"), ("RoundtripUsec", "N/A"),
                        ]
                    }
                }
                handler.writeList("ContactList", actionID: id, items: items, complete: "ContactListComplete", context: context)
                return
            }
            guard !endpoints.isEmpty else { return handler.send(.error(id, message: "No endpoints found"), context: context) }
            handler.send(.listStart(id, message: "A listing of Endpoints follows, presented as EndpointList events"), context: context)
            let items = endpoints.map { endpoint -> [(String, String)] in
                [
                    ("ObjectType", "endpoint"), ("ObjectName", endpoint.number), ("Transport", ""), ("Aor", endpoint.number),
                    ("Auths", endpoint.number), ("OutboundAuths", ""),
                    ("Contacts", endpoint.contacts.map { "\(endpoint.number)/\($0.contact)" }.joined(separator: ",")),
                    ("DeviceState", Self.endpointDeviceState(endpoint.state)), ("ActiveChannels", ""),
                ]
            }
            handler.writeList("EndpointList", actionID: id, items: items, complete: "EndpointListComplete", context: context)
        }
    }

    func extensionState(_ message: AMIMessage, context: ChannelHandlerContext) {
        let id = message.actionID
        let exten = message.value("Exten")
        guard !exten.isEmpty else { return send(.error(id, message: "Extension not specified"), context: context) }
        let dialContext = message["Context"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        withCalls(context, { $0.deviceState(extension: exten, tenant: $1, completion: $2) }) { handler, context, state in
            let (status, text) = state.map(CallControl.extensionStatusCode) ?? (-1, "Unknown")
            handler.send(
                AMIResponse(
                    .success, actionID: id,
                    fields: [
                        ("Message", "Extension Status"), ("Exten", exten), ("Context", dialContext),
                        ("Hint", state == nil ? "" : "PJSIP/\(exten)"), ("Status", String(status)), ("StatusText", text),
                    ]), context: context)
        }
    }

    func extensionStateList(_ message: AMIMessage, context: ChannelHandlerContext, devices: Bool) {
        let id = message.actionID
        withCalls(context, { $0.endpoints(tenant: $1, completion: $2) }) { handler, context, endpoints in
            if devices {
                handler.send(.listStart(id, message: "Device State Changes will follow"), context: context)
                handler.writeList(
                    "DeviceStateChange", actionID: id, items: endpoints.map { [("Device", "PJSIP/\($0.number)"), ("State", $0.state)] },
                    complete: "DeviceStateListComplete", context: context)
                return
            }
            guard !endpoints.isEmpty else { return handler.send(.error(id, message: "No dialplan hints are available"), context: context) }
            handler.send(.listStart(id, message: "Extension Statuses will follow"), context: context)
            let items = endpoints.map { endpoint -> [(String, String)] in
                let (status, text) = CallControl.extensionStatusCode(endpoint.state)
                return [
                    ("Exten", endpoint.number), ("Context", "internal"), ("Hint", "PJSIP/\(endpoint.number)"),
                    ("Status", String(status)), ("StatusText", text),
                ]
            }
            handler.writeList("ExtensionStatus", actionID: id, items: items, complete: "ExtensionStateListComplete", context: context)
        }
    }
}
