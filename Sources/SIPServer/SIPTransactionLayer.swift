import Logging
import NIOCore
import NodeSupport
import SIP

/// Runs the SIP module's RFC 3261 transaction machines for the call driver, confined to its event
/// loop: their `send` actions go to the transport (a failed send is the machine's
/// `transportError`), their timers are scheduled on the loop, and what they pass up goes to the
/// callbacks given when the transaction started. This is the only retransmission code of calls.
package final class SIPTransactionLayer {
    /// Why a client transaction ended without a final response.
    package enum Failure {
        /// Timer B or F: treat as 408 (RFC 3261 §8.1.3.1).
        case timeout
        /// The transport refused the request: treat as 503 (§8.1.3.1).
        case transportError

        package var status: Int { self == .timeout ? 408 : 503 }
    }

    private enum Machine {
        case inviteClient(InviteClientTransaction)
        case nonInviteClient(NonInviteClientTransaction)
        case inviteServer(InviteServerTransaction)
        case nonInviteServer(NonInviteServerTransaction)
        case success(SIPSuccessRetransmission)
    }

    /// What identifies a running machine: a transaction key, or (for our 2xx retransmission) the
    /// dialog's Call-ID and the INVITE's CSeq number, which its ACK repeats (§13.2.2.4).
    private enum Key: Hashable {
        case transaction(SIPTransactionKey)
        case success(callID: String, cseq: UInt32)
    }

    private struct Entry {
        var machine: Machine
        var destination: SIPEndpoint
        var timers: [SIPTimer: LoopTimer] = [:]
        /// A final (or, for INVITE, any) response for a client; the ACK of a 2xx for `success`.
        var passUp: (SIPMessage) -> Void
        var failed: (Failure) -> Void
        /// Set when the machine reported a failure, for `SIPMetrics.ended` when it terminates.
        var failure: Failure?
    }

    let loop: any EventLoop
    /// The transactions' timers (several per transaction, most cancelled): see `LoopTimerQueue`.
    private let timerQueue: LoopTimerQueue
    let transport: any SIPTransport
    package let timers: SIPTimerSettings
    let logger: Logger
    /// Server transactions are only started below this many entries (`--sip-max-transactions`);
    /// client transactions and 2xx retransmissions are ours, bounded by the channel caps.
    let maximumEntries: Int
    private var entries: [Key: Entry] = [:]
    /// The CSeq numbers of the 2xx retransmissions running per Call-ID, so that
    /// `stopRetransmissions(callID:)` does not scan every entry (kept by `insert` and `remove`).
    private var successes: [String: [UInt32]] = [:]
    private var refusedForCap = 0

    package init(
        loop: any EventLoop, timerQueue: LoopTimerQueue? = nil, transport: any SIPTransport, logger: Logger,
        timers: SIPTimerSettings = SIPTimerSettings(),
        maximumEntries: Int = SIPServerConfiguration(host: "", port: 0).maximumTransactions
    ) {
        self.loop = loop
        self.timerQueue = timerQueue ?? LoopTimerQueue(loop: loop)
        self.transport = transport
        self.logger = logger
        self.timers = timers
        self.maximumEntries = maximumEntries
    }

    /// Transactions and 2xx retransmissions running (for tests and leak checks).
    package var count: Int { entries.count }

    // MARK: - Client side

    /// Sends `request` in a new client transaction (INVITE or non-INVITE by its method). `response`
    /// gets every response the machine passes up (for INVITE: provisionals, the final, and each
    /// retransmitted 2xx, which the caller must ACK); `failed` gets a timeout or transport error.
    package func sendRequest(
        _ request: SIPRequest, to destination: SIPEndpoint,
        response: @escaping (SIPResponse) -> Void, failed: @escaping (Failure) -> Void
    ) {
        guard let transactionKey = SIPTransactionKey(clientRequest: request) else { return }
        let reliable = destination.transport != .udp
        var machine: Machine
        var actions: [SIPTransactionAction]
        if request.method == .invite {
            var invite = InviteClientTransaction(request: request, reliable: reliable, timers: timers)
            actions = invite.start()
            machine = .inviteClient(invite)
        } else {
            var other = NonInviteClientTransaction(request: request, reliable: reliable, timers: timers)
            actions = other.start()
            machine = .nonInviteClient(other)
        }
        let key = Key.transaction(transactionKey)
        entries[key] = Entry(
            machine: machine, destination: destination,
            passUp: { message in
                if case .response(let reply) = message { response(reply) }
            }, failed: failed)
        run(actions, key: key)
    }

    /// Feeds a response to its client transaction; false when none matches (a stray or late one).
    package func receiveResponse(_ response: SIPResponse) -> Bool {
        guard let transactionKey = SIPTransactionKey(clientResponse: response) else { return false }
        let key = Key.transaction(transactionKey)
        guard entries[key] != nil else { return false }
        feed(key) { machine in
            switch machine {
            case .inviteClient(var invite):
                let actions = invite.event(.response(response))
                machine = .inviteClient(invite)
                return actions
            case .nonInviteClient(var other):
                let actions = other.event(.response(response))
                machine = .nonInviteClient(other)
                return actions
            case .inviteServer, .nonInviteServer, .success:
                return []
            }
        }
        return true
    }

    // MARK: - Server side

    /// A received request other than ACK: true when it retransmits one whose server transaction is
    /// running (the machine answered or absorbed it). False when it is new: a server transaction is
    /// started (an INVITE's answers 100 Trying) and the caller handles the request and later calls
    /// `respond`. Requests without a usable key are not tracked (false).
    package func receiveRequest(_ request: SIPRequest, from source: SIPEndpoint) -> Bool {
        guard request.method != .ack, let transactionKey = SIPTransactionKey(serverRequest: request) else { return false }
        let key = Key.transaction(transactionKey)
        if entries[key] != nil {
            feed(key) { machine in Self.event(.request(request), client: nil, machine: &machine) }
            return true
        }
        guard entries.count < maximumEntries else {
            if refusedForCap % 1000 == 0 {
                logger.warning(
                    "SIP transaction cap reached: requests answered without retransmission state",
                    metadata: ["cap": "\(maximumEntries)"])
            }
            refusedForCap += 1
            SIPMetrics.refused.increment()
            return false
        }
        let reliable = source.transport != .udp
        let machine: Machine
        var actions: [SIPTransactionAction]
        if request.method == .invite {
            var server = InviteServerTransaction(request: request, reliable: reliable, timers: timers)
            actions = server.start()
            machine = .inviteServer(server)
        } else {
            var server = NonInviteServerTransaction(request: request, reliable: reliable, timers: timers)
            actions = server.start()
            machine = .nonInviteServer(server)
        }
        actions.removeAll { if case .passToTU = $0 { return true } else { return false } }
        entries[key] = Entry(machine: machine, destination: source, passUp: { _ in }, failed: { _ in })
        run(actions, key: key)
        return false
    }

    /// The ACK of a non-2xx final we sent: absorbed by its INVITE server transaction (true).
    package func absorbAck(_ request: SIPRequest) -> Bool {
        guard request.method == .ack, let transactionKey = SIPTransactionKey(serverRequest: request),
            entries[.transaction(transactionKey)] != nil
        else { return false }
        feed(.transaction(transactionKey)) { machine in Self.event(.request(request), client: nil, machine: &machine) }
        return true
    }

    /// The ACK of a 2xx we retransmit: the retransmission stops and its `acknowledged` runs (true).
    package func acknowledge(_ request: SIPRequest) -> Bool {
        guard let callID = request.headers.callID, let cseq = request.headers.cseq else { return false }
        let key = Key.success(callID: callID, cseq: cseq.number)
        guard entries[key] != nil else { return false }
        feed(key) { machine in Self.event(.request(request), client: nil, machine: &machine) }
        return true
    }

    /// Sends our response to `request` through its server transaction (or once, when it has none).
    /// A 2xx to an INVITE is then retransmitted until its ACK (`acknowledged`) or Timer H (`noAck`:
    /// the dialog must end with BYE, RFC 3261 §13.3.1.4).
    package func respond(
        to request: SIPRequest, with response: SIPResponse, destination: SIPEndpoint,
        acknowledged: @escaping () -> Void = {}, noAck: @escaping () -> Void = {}
    ) {
        let inviteSuccess = request.method == .invite && response.isSuccess
        var destination = destination
        if let transactionKey = SIPTransactionKey(serverRequest: request), let entry = entries[.transaction(transactionKey)] {
            // Responses go where the request came from (its top Via, RFC 3261 §18.2.2).
            destination = entry.destination
            feed(.transaction(transactionKey)) { machine in
                let actions = Self.event(.respond(response), client: nil, machine: &machine)
                // A 2xx to an INVITE is sent by its retransmission below, not twice.
                return inviteSuccess ? actions.filter { if case .send = $0 { return false } else { return true } } : actions
            }
        } else if !inviteSuccess {
            transport.send(SIPOutbound(destination: destination, bytes: response.serialized))
        }
        guard inviteSuccess, let callID = response.headers.callID, let cseq = response.headers.cseq else { return }
        let key = Key.success(callID: callID, cseq: cseq.number)
        var success = SIPSuccessRetransmission(response: response, reliable: destination.transport != .udp, timers: timers)
        let actions = success.start()
        remove(key)
        insert(
            Entry(
                machine: .success(success), destination: destination,
                passUp: { _ in acknowledged() }, failed: { _ in noAck() }),
            at: key)
        run(actions, key: key)
    }

    /// Forgets the client transaction of `request` without waiting for its timers (an INVITE that a
    /// CANCEL could not end: RFC 3261 §9.1 lets the UAC give up after 64·T1).
    package func abandon(_ request: SIPRequest) {
        guard let transactionKey = SIPTransactionKey(clientRequest: request) else { return }
        remove(.transaction(transactionKey))
    }

    /// Stops retransmitting our 2xx in dialog `callID` (the dialog ended another way).
    package func stopRetransmissions(callID: String) {
        guard let numbers = successes[callID] else { return }
        for cseq in numbers { remove(.success(callID: callID, cseq: cseq)) }
    }

    // MARK: - Driving the machines

    /// Starts tracking a 2xx retransmission (indexed by its Call-ID).
    private func insert(_ entry: Entry, at key: Key) {
        entries[key] = entry
        if case .success(let callID, let cseq) = key { successes[callID, default: []].append(cseq) }
    }

    /// Forgets a transaction and cancels its pending timers.
    private func remove(_ key: Key) {
        guard let entry = entries.removeValue(forKey: key) else { return }
        for timer in entry.timers.values { timer.cancel() }
        if case .success(let callID, let cseq) = key, var numbers = successes[callID] {
            numbers.removeAll { $0 == cseq }
            successes[callID] = numbers.isEmpty ? nil : numbers
        }
    }

    private func feed(_ key: Key, _ event: (inout Machine) -> [SIPTransactionAction]) {
        guard var entry = entries[key] else { return }
        let actions = event(&entry.machine)
        entries[key]?.machine = entry.machine
        run(actions, key: key)
    }

    private func run(_ actions: [SIPTransactionAction], key: Key) {
        for action in actions {
            guard let entry = entries[key] else { return }
            switch action {
            case .send(let message):
                let loop = self.loop
                let bound = NIOLoopBound((WeakBox(self), key), eventLoop: loop)
                transport.send(SIPOutbound(destination: entry.destination, bytes: message.serialized)) { _ in
                    // Later, on the loop: the failure may be reported while this action list runs.
                    loop.execute {
                        let (layer, key) = bound.value
                        layer.value?.transportError(key)
                    }
                }
            case .startTimer(let timer, let after):
                entries[key]?.timers[timer]?.cancel()
                entries[key]?.timers[timer] = timerQueue.schedule(in: .microseconds(after), self) { layer in
                    layer.fire(timer, key: key)
                }
            case .cancelTimer(let timer):
                entries[key]?.timers.removeValue(forKey: timer)?.cancel()
            case .passToTU(let message):
                entry.passUp(message)
            case .timeout:
                entries[key]?.failure = .timeout
                entry.failed(.timeout)
            case .transportError:
                entries[key]?.failure = .transportError
                entry.failed(.transportError)
            case .terminated:
                SIPMetrics.ended(entry.failure)
                remove(key)
            }
        }
    }

    private func fire(_ timer: SIPTimer, key: Key) {
        entries[key]?.timers[timer] = nil
        feed(key) { machine in Self.event(.timerFired(timer), client: .timerFired(timer), machine: &machine) }
    }

    private func transportError(_ key: Key) {
        feed(key) { machine in Self.event(.transportError, client: .transportError, machine: &machine) }
    }

    /// Feeds the machine the event of its kind (a server event to server machines, a client event,
    /// when given, to client machines).
    private static func event(
        _ server: SIPServerTransactionEvent, client: SIPClientTransactionEvent?,
        machine: inout Machine
    ) -> [SIPTransactionAction] {
        switch machine {
        case .inviteClient(var invite):
            guard let client else { return [] }
            let actions = invite.event(client)
            machine = .inviteClient(invite)
            return actions
        case .nonInviteClient(var other):
            guard let client else { return [] }
            let actions = other.event(client)
            machine = .nonInviteClient(other)
            return actions
        case .inviteServer(var invite):
            let actions = invite.event(server)
            machine = .inviteServer(invite)
            return actions
        case .nonInviteServer(var other):
            let actions = other.event(server)
            machine = .nonInviteServer(other)
            return actions
        case .success(var success):
            let actions = success.event(server)
            machine = .success(success)
            return actions
        }
    }
}
