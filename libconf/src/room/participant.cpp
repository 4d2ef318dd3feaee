#include "room/participant.hpp"

namespace conf {

Result<std::unique_ptr<Participant>> Participant::create(Engine::Impl& engine, Options options,
                                                         Signaller& remote, Owner& owner) {
    CONF_ASSERT_MEDIA_THREAD(engine);
    std::unique_ptr<Participant> participant(new Participant(std::move(options), remote, owner));
    EndpointOptions endpoint = participant->options_.endpoint;
    endpoint.id = participant->options_.id;
    endpoint.room = participant->options_.room;
    auto created = Endpoint::create(engine, std::move(endpoint), *participant, *participant);
    if (!created) {
        return created.status();
    }
    participant->endpoint_ = std::move(created).value();
    // Audio first, as browsers order their own m-lines.
    for (MediaKind kind : {MediaKind::kAudio, MediaKind::kVideo}) {
        if (!participant->publishes(kind)) {
            continue;
        }
        if (Status added = participant->endpoint_->add_receive_slot(kind); !added) {
            return added;
        }
        participant->slot_kinds_.push_back(kind);
    }
    participant->endpoint_->negotiate();
    return participant;
}

Participant::Participant(Options options, Signaller& remote, Owner& owner)
    : options_(std::move(options)), remote_(remote), owner_(owner),
      logger_(Logger("participant").with("room", options_.room).with("participant", options_.id)) {}

Participant::~Participant() {
    subscriptions_.clear();
    endpoint_.reset();
}

void Participant::receive_description(const SessionDescription& description) {
    if (description.type != SessionDescription::Type::kAnswer) {
        remote_.send_error(
            failed_precondition("the server makes the offers; send an answer to its offer"));
        return;
    }
    if (description.revision != revision_) {
        remote_.send_error(failed_precondition(
            fmt::format("answer to offer {}, but the offer waiting for an answer is {}",
                        description.revision, revision_)));
        return;
    }
    endpoint_->receive_description(description);
}

void Participant::receive_candidate(const IceCandidate& candidate) {
    endpoint_->receive_candidate(candidate);
}

Status Participant::subscribe(const std::string& member_id, ReceivedTrack& track,
                              std::shared_ptr<ReceivedTrack> instead) {
    if (closed_ || subscriptions_.count(track.id()) != 0) {
        return Status::ok();
    }
    auto forwarded = endpoint_->forward(instead ? *instead : track);
    if (!forwarded) {
        logger_.warn("cannot forward {}: {}", track.id(), forwarded.status().message());
        return forwarded.status();
    }
    subscriptions_.emplace(
        track.id(), Subscription{member_id, std::move(forwarded).value(), std::move(instead)});
    endpoint_->negotiate();
    return Status::ok();
}

void Participant::unsubscribe(const std::string& track_id) {
    auto it = subscriptions_.find(track_id);
    if (it == subscriptions_.end()) {
        return;
    }
    log_forwarding(it->first, *it->second.track);
    endpoint_->stop_forwarding(it->second.track);
    subscriptions_.erase(it);
    if (!closed_) {
        endpoint_->negotiate();
    }
}

void Participant::send_description(const SessionDescription& description) {
    SessionDescription offer = description;
    offer.revision = ++revision_;
    std::vector<std::string> mids = endpoint_->receive_slot_mids();
    for (size_t i = 0; i < mids.size() && i < slot_kinds_.size(); ++i) {
        offer.slots.push_back({mids[i], std::string(to_string(slot_kinds_[i])), true, "", ""});
    }
    for (const auto& [track_id, subscription] : subscriptions_) {
        // A subscription made while this offer was being prepared has no m-line in it yet.
        std::string mid = endpoint_->mid_of(*subscription.track);
        if (!mid.empty()) {
            offer.slots.push_back({mid, std::string(to_string(subscription.track->codec().kind)),
                                   false, subscription.member_id, track_id});
        }
    }
    logger_.debug("offer {} with {} m-lines in use", offer.revision, offer.slots.size());
    remote_.send_description(offer);
}

void Participant::on_track_added(Endpoint& /*endpoint*/, ReceivedTrack& track) {
    if (!closed_) {
        owner_.on_participant_track(*this, track);
    }
}

void Participant::on_endpoint_failed(Endpoint& /*endpoint*/, const Status& error) {
    if (!closed_) {
        owner_.on_participant_failed(*this, error);
    }
}

void Participant::log_forwarding(const std::string& track_id, const SendTrack& track) const {
    if (track.dropped() > 0) {
        logger_.warn("forwarded {}: {} packets, {} dropped (this peer could not keep up)", track_id,
                     track.packets(), track.dropped());
    } else {
        logger_.debug("forwarded {}: {} packets", track_id, track.packets());
    }
}

void Participant::close(std::function<void()> done) {
    closed_ = true;
    for (auto& [track_id, subscription] : subscriptions_) {
        log_forwarding(track_id, *subscription.track);
        endpoint_->stop_forwarding(subscription.track);
    }
    subscriptions_.clear();
    endpoint_->close(std::move(done));
}

} // namespace conf
