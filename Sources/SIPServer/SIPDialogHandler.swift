import SIP

/// Where the SIP layer hands what belongs to calls: requests that create or run in dialogs
/// (INVITE, ACK, BYE, CANCEL, UPDATE, INFO) and responses to requests the calls layer sent. The
/// calls layer implements it; the SIP layer never sees a call. Called from any thread.
package protocol SIPDialogHandler: Sendable {
    func receiveRequest(_ request: SIPRequest, from source: SIPEndpoint)
    func receiveResponse(_ response: SIPResponse)
}
