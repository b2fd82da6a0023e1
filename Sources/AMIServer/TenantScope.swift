import AMI
import Calls
import Foundation

/// Centralino's tenant rules for actions that name dialplan places: an AMI user acts only within
/// its own tenant, whatever `__TENANT_UUID` or `c2c_<uuid>` context it names.
enum TenantScope {
    /// Why the request must be refused, or nil. Wrapper contexts naming the user's own tenant are
    /// normalised to the lower-case UUID the dialplan uses.
    static func refusal(for request: inout OriginateRequest, tenant: UUID) -> String? {
        let own = tenant.uuidString.lowercased()
        for variable in request.variables where variable.name.drop(while: { $0 == "_" }).uppercased() == "TENANT_UUID" {
            if variable.value.trimmingCharacters(in: .whitespaces).lowercased() != own {
                return "Originate refused: TENANT_UUID \(variable.value) is not the tenant of this AMI user"
            }
        }
        let (exten, context) = CallControl.localTarget(request.resource)
        if request.technology.lowercased() == "local" {
            switch check(context: context, own: own) {
            case .refused(let message): return message
            case .normalised(let name):
                let options = request.resource.split(separator: "/", maxSplits: 1).dropFirst().first.map { "/\($0)" } ?? ""
                request.resource = "\(exten)@\(name)\(options)"
                request.channel = "\(request.technology)/\(request.resource)"
            case .unchanged: break
            }
        }
        if case .extensionTarget(let dialContext, let dialExten, let priority) = request.destination {
            switch check(context: dialContext, own: own) {
            case .refused(let message): return message
            case .normalised(let name): request.destination = .extensionTarget(context: name, exten: dialExten, priority: priority)
            case .unchanged: break
            }
        }
        return nil
    }

    enum ContextCheck {
        case unchanged
        case normalised(String)
        case refused(String)
    }

    /// `c2c_<uuid>` / `from_c2c_<uuid>` must name the user's own tenant; `action` names the refused
    /// action in the message (`Redirect refused: …`).
    static func check(context: String, own: String, action: String = "Originate") -> ContextCheck {
        for prefix in ["from_c2c_", "c2c_"] where context.lowercased().hasPrefix(prefix) {
            let named = String(context.dropFirst(prefix.count)).lowercased()
            guard named == own else {
                return .refused("\(action) refused: context \(context) belongs to a tenant other than this AMI user's")
            }
            let canonical = prefix + own
            return canonical == context ? .unchanged : .normalised(canonical)
        }
        return .unchanged
    }
}
