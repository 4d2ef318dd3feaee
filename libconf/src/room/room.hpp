// Room: the SFU. Members join and leave; each publishes zero or more tracks, and every
// Participant (a member on the room protocol) is subscribed to every track of the others,
// forwarded as RTP without decoding (Endpoint/SendTrack do the forwarding, with bounded
// queues per subscriber). Members that publish from elsewhere (WHIP) are added by their
// owner with add_member()/publish(). What happens goes up through the Listener: joins and
// leaves, tracks published/unpublished/muted, the dominant speaker. When the room records,
// each member's tracks are recorded into one file of their own (MemberRecording), and a
// session manifest lists them all on one timeline (SessionManifest). Media thread only.
#pragma once

#include "core/timer.hpp"
#include "room/active_speaker.hpp"
#include "room/decoded_level_meter.hpp"
#include "room/member_recording.hpp"
#include "room/participant.hpp"
#include "room/session_manifest.hpp"

#include <optional>

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
    // Set when the room records: output_dir (the recordings root), container, limits; the
    // ids are filled in per member. How long to wait for a member's announced tracks.
    std::optional<RecorderOptions> recording;
    std::chrono::milliseconds track_wait{3000};
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
        // A subscriber asked for a keyframe of this track and the request went to its sender
        // (rate-limited per track).
        virtual void on_keyframe_requested(Room& /*room*/, const std::string& /*member_id*/,
                                           const std::string& /*track_id*/) {}
        // A member's peer failed (it is then removed with reason "disconnected").
        virtual void on_member_failed(Room& /*room*/, const std::string& /*member_id*/,
                                      const Status& /*reason*/) {}
    };

    Room(Engine::Impl& engine, RoomOptions options, Listener& listener);
    ~Room() override;
    Room(const Room&) = delete;
    Room& operator=(const Room&) = delete;

    // A participant joins: it is offered every track there is (and later ones) through
    // `remote`, which must outlive it (until remove() completes).
    Result<Participant*> join(const std::string& id, const std::string& name, bool publish_audio,
                              bool publish_video, Signaller& remote);
    // A member publishing from elsewhere (WHIP), announcing `expected_tracks` tracks, and
    // its tracks as they arrive.
    void add_member(const std::string& id, const std::string& name, std::size_t expected_tracks);
    void publish(const std::string& member_id, ReceivedTrack& track);
    // Unpublishes the member's tracks everywhere, finalizes its recording and closes its
    // peer if it is a participant; `done` runs once both are over.
    Status remove(const std::string& member_id, const std::string& reason,
                  std::function<void()> done = {});
    Status set_muted(const std::string& member_id, MediaKind kind, bool muted);

    const std::string& name() const noexcept { return options_.name; }
    Participant* participant(const std::string& id);
    bool has_member(const std::string& id) const { return members_.count(id) != 0; }
    std::vector<MemberInfo> members() const;
    std::vector<ReceivedTrack*> tracks_of(const std::string& member_id) const;
    std::size_t size() const noexcept { return members_.size(); }
    // No members, no peer still closing, no recording still finalizing: the room can go
    // (after finish()).
    bool idle() const noexcept { return members_.empty() && closing_.empty() && finalizing_ == 0; }
    // Ends the recorded session (its manifest FINALIZED). Call when idle(); a room destroyed
    // without it leaves the session as a crash would.
    void finish();
    // The member's recorder, if it is being recorded.
    const Recorder* recorder_of(const std::string& member_id) const;
    const SessionManifest* session() const noexcept { return session_.get(); }
    const std::string& active_speaker() const noexcept { return speaker_.current(); }

  private:
    struct Published {
        ReceivedTrack* track = nullptr;
        bool muted = false;
        std::shared_ptr<LevelSource> meter;
        std::unique_ptr<DecodedLevelMeter> decoder; // for tracks without RFC 6464 levels
        ReceivedTrack::Subscription meter_feed;
    };
    struct Member {
        std::string id;
        std::string name;
        std::unique_ptr<Participant> participant;
        std::vector<Published> tracks;
        bool muted[2] = {false, false}; // by MediaKind, remembered before a track exists
        std::size_t expected_tracks = 0;
        std::unique_ptr<MemberRecording> recording;
    };

    MemberInfo info(const Member& member) const;
    void record(Member& member, ReceivedTrack& track);
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
    std::list<std::unique_ptr<MemberRecording>> finalizing_recordings_;
    std::size_t finalizing_ = 0;
    std::unique_ptr<SessionManifest> session_;
    DominantSpeaker speaker_;
    Timer speaker_timer_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace conf
