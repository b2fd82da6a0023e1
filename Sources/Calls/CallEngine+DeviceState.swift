import Foundation
import PBX
import SIPServer

/// DeviceStateChange and ExtensionStatus: raised when what a device (an extension's endpoint, a
/// trunk, a Local target) is doing changes, as Asterisk's device state machinery does.
extension CallEngine {
    /// `PJSIP/100-0000000a` → `PJSIP/100`; `Local/100@c2c-00000000;1` → `Local/100@c2c`.
    static func deviceName(of channelName: String) -> String {
        var name = Substring(channelName)
        if let semicolon = name.lastIndex(of: ";") { name = name[..<semicolon] }
        if let dash = name.lastIndex(of: "-"), name.distance(from: dash, to: name.endIndex) == 9 { name = name[..<dash] }
        return String(name)
    }

    /// Recomputes the device of `channel` and announces a change.
    func refreshDevice(of channel: CallChannel) {
        let device = Self.deviceName(of: channel.name)
        let tenant = channel.tenant
        let state: String
        var extensionNumber: String?
        if device.hasPrefix("PJSIP/"), directory.directoryExtension(tenant: tenant, number: String(device.dropFirst(6))) != nil {
            extensionNumber = String(device.dropFirst(6))
            state = deviceState(tenant: tenant, number: extensionNumber!)
        } else {
            let busy = channels.values.contains { $0.tenant == tenant && !$0.isGone && Self.deviceName(of: $0.name) == device }
            state = busy ? "INUSE" : "NOT_INUSE"
        }
        let key = "\(tenant.uuidString)|\(device)"
        guard deviceStates[key] != state else { return }
        deviceStates[key] = state
        emit(PBXEvent("DeviceStateChange", fields: [("Device", device), ("State", state)], tenant: tenant))
        if let number = extensionNumber {
            let (status, text) = Self.extensionStatusCode(state)
            emit(
                PBXEvent(
                    "ExtensionStatus",
                    fields: [
                        ("Exten", number), ("Context", "internal"), ("Hint", device),
                        ("Status", String(status)), ("StatusText", text),
                    ], tenant: tenant))
        }
    }

    static func extensionStatusCode(_ state: String) -> (Int, String) {
        switch state {
        case "NOT_INUSE": return (0, "Idle")
        case "INUSE": return (1, "InUse")
        case "BUSY": return (2, "Busy")
        case "UNAVAILABLE": return (4, "Unavailable")
        case "RINGING": return (8, "Ringing")
        case "RINGINUSE": return (9, "InUse&Ringing")
        default: return (-1, "Unknown")
        }
    }
}
