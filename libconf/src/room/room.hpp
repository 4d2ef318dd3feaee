// Room: the SFU. Members join and leave; each publishes zero or more tracks, and every
// Participant (a member on the room protocol) is subscribed to every track of the others,
// forwarded as RTP without decoding (Endpoint/SendTrack do the forwarding, with bounded
// queues per subscriber). Members that publish from elsewhere (WHIP) are added by their
// owner with add_member()/publish(). What happens goes up through the Listener: joins and
// leaves, tracks published/unpublished/muted, the dominant speaker. Media thread only.
#pragma once

#include "core/timer.hpp"
#include "room/active_speaker.hpp"
#include "room/participant.hpp"

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace conf {

struct TrackInfo {
    std::string id;
    MediaKind kind = MediaKind::kAudio;
    bool muted = false;
};

struct MemberInfo {
    std::string id;
    std::string name;
    bool participant = false; // on the room protocol (else a WHIP publisher)
    std::vector<TrackInfo> tracks;
};

struct RoomOptions {
    std::string name;
    EndpointOptions endpoint; // for every participant's peer (ICE addresses, bitrate cap)
    std::chrono::milliseconds speaker_interval{200};
    DominantSpeaker::Options speaker;
};

class Room final : private Participant::Owner {
  public:
    class Listener {
      public:
        virtual ~Listener() = default;
        virtual void on_member_joined(Room& /*room*/, const MemberInfo& /*member*/) {}
        // reason: "left", "disconnected" or "removed".
        virtual void on_member_left(Room& /*room*/, const std::string& /*member_id*/,
                                    const std::string& /*reason*/) {}
        virtual void on_track_published(Room& /*room*/, const std::string& /*member_id*/,
                                        const TrackInfo& /*track*/) {}
        virtual void on_track_unpublished(Room& /*room*/, const std::string& /*member_id*/,
                                          const std::string& /*track_id*/) {}
        virtual void on_track_muted(Room& /*room*/, const std::string& /*member_id*/,
                                    const std::string& /*track_id*/, bool /*muted*/) {}
        virtual void on_active_speaker(Room& /*room*/, const std::string& /*member_id*/) {}
    };

    Room(Engine::Impl& engine, RoomOptions options, Listener& listener);
    ~Room() override;
    Room(const Room&) = delete;
    Room& operator=(const Room&) = delete;

    // A participant joins: it is offered every track there is (and later ones) through
    // `remote`, which must outlive it (until remove() completes).
    Result<Participant*> join(const std::string& id, const std::string& name, bool publish_audio,
                              bool publish_video, Signaller& remote);
    // A member publishing from elsewhere (WHIP), and its tracks as they arrive.
    void add_member(const std::string& id, const std::string& name);
    void publish(const std::string& member_id, ReceivedTrack& track);
    // Unpublishes the member's tracks everywhere, then closes its peer if it is a
    // participant; `done` runs once that peer is down (at once otherwise).
    Status remove(const std::string& member_id, const std::string& reason,
                  std::function<void()> done = {});
    Status set_muted(const std::string& member_id, MediaKind kind, bool muted);

    const std::string& name() const noexcept { return options_.name; }
    Participant* participant(const std::string& id);
    bool has_member(const std::string& id) const { return members_.count(id) != 0; }
    std::vector<MemberInfo> members() const;
    std::vector<ReceivedTrack*> tracks_of(const std::string& member_id) const;
    std::size_t size() const noexcept { return members_.size(); }
    // Members plus peers still closing: the room can go once this is 0.
    bool idle() const noexcept { return members_.empty() && closing_.empty(); }
    const std::string& active_speaker() const noexcept { return speaker_.current(); }

  private:
    struct Published {
        ReceivedTrack* track = nullptr;
        bool muted = false;
        std::shared_ptr<AudioLevelMeter> meter;
        ReceivedTrack::Subscription meter_feed;
    };
    struct Member {
        std::string id;
        std::string name;
        std::unique_ptr<Participant> participant;
        std::vector<Published> tracks;
        bool muted[2] = {false, false}; // by MediaKind, remembered before a track exists
    };

    MemberInfo info(const Member& member) const;
    void sample_speakers();

    // Participant::Owner
    void on_participant_track(Participant& participant, ReceivedTrack& track) override;
    void on_participant_failed(Participant& participant, const Status& reason) override;

    Engine::Impl& engine_;
    RoomOptions options_;
    Listener& listener_;
    Logger logger_;
    std::map<std::string, Member> members_;
    std::list<std::unique_ptr<Participant>> closing_;
    DominantSpeaker speaker_;
    Timer speaker_timer_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace conf
