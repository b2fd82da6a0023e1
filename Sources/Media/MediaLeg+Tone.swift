import NIOCore

extension MediaLeg {
    /// Starts `stream` (replacing any tone playing); its first packet goes out at once.
    func startTone(_ stream: ToneStream) throws {
        let (generation, previous) = try box.withLockedValue { box -> (UInt64, Scheduled<Void>?) in
            guard let generation = box.machine.startTone(stream) else {
                throw MediaError(.legClosed, "\(self) is closed")
            }
            let previous = box.toneTask
            box.toneTask = nil
            return (generation, previous)
        }
        previous?.cancel()
        eventLoop.execute { self.toneTimerFired(generation: generation) }
    }

    /// Stops the tone, if one plays.
    func stopTone() {
        let task = box.withLockedValue { box -> Scheduled<Void>? in
            box.machine.stopTone()
            let task = box.toneTask
            box.toneTask = nil
            return task
        }
        task?.cancel()
    }

    /// The pacing timer of tone `generation`: send what is due, schedule the next wake-up.
    private func toneTimerFired(generation: UInt64) {
        let now = NIODeadline.now().uptimeNanoseconds
        let decision = box.withLockedValue { box -> (MediaLegStateMachine.ToneAction, (any Channel)?) in
            guard let channel = box.rtpChannel else { return (.stop, nil) }
            let action = box.machine.toneTimerFired(
                generation: generation, at: now, writable: channel.isWritable, allocator: channel.allocator)
            return (action, channel)
        }
        guard case .send(let packets, let destination, let nextDeadline) = decision.0,
            let channel = decision.1
        else { return }
        if let destination, !packets.isEmpty {
            for packet in packets {
                channel.write(AddressedEnvelope(remoteAddress: destination, data: packet), promise: nil)
            }
            channel.flush()
        }
        let task = eventLoop.scheduleTask(deadline: .uptimeNanoseconds(nextDeadline)) {
            self.toneTimerFired(generation: generation)
        }
        let current = box.withLockedValue { box -> Bool in
            guard box.machine.toneGeneration == generation, box.machine.isTonePlaying else { return false }
            box.toneTask = task
            return true
        }
        if !current { task.cancel() }
    }
}
