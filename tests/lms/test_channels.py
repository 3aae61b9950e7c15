import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from lms.consumers import CLOSE_UNAUTHENTICATED
from lms.services import event_send_on_commit, user_group_name
from tests import sockets
from tests.factories import UserFactory


@pytest.fixture
def signed_in(transactional_db):
    """A user and the cookie of their browser session."""
    user = UserFactory()
    return user, sockets.session_for(user)


def socket(path="/ws/events/", *, session=None, origin="http://testserver"):
    return sockets.socket(path, session, origin=origin)


@pytest.mark.asyncio
async def test_group_message_round_trip_through_the_layer(channel_layer):
    # given a channel in a group
    group = f"test.{uuid.uuid4().hex}"
    channel = await channel_layer.new_channel()
    await channel_layer.group_add(group, channel)
    # when a message is sent to the group
    await channel_layer.group_send(group, {"type": "test.message", "text": "你好"})
    # then the channel receives it
    message = await channel_layer.receive(channel)
    assert message == {"type": "test.message", "text": "你好"}
    await channel_layer.group_discard(group, channel)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_signed_in_user_receives_events_sent_to_their_group(signed_in, channel_layer):
    user, session = signed_in
    communicator = socket(session=session)
    try:
        connected, _ = await communicator.connect()
        assert connected
        # when an event is broadcast to the user's group after a commit
        await database_sync_to_async(_send_after_commit)(user.pk)
        # then the open socket receives it
        assert await communicator.receive_json_from(timeout=5) == {
            "type": "plan.updated",
            "payload": {"items": 3},
        }
    finally:
        await communicator.disconnect()


def _send_after_commit(user_id):
    with transaction.atomic():
        event_send_on_commit(
            group=user_group_name(user_id), event="plan.updated", payload={"items": 3}
        )


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_event_is_not_sent_when_the_transaction_rolls_back(signed_in, channel_layer):
    user, session = signed_in
    communicator = socket(session=session)
    try:
        assert (await communicator.connect())[0]
        await database_sync_to_async(_send_then_roll_back)(user.pk)
        assert await communicator.receive_nothing(timeout=0.5)
    finally:
        await communicator.disconnect()


def _send_then_roll_back(user_id):
    try:
        with transaction.atomic():
            event_send_on_commit(group=user_group_name(user_id), event="plan.updated", payload={})
            raise RuntimeError("roll back")
    except RuntimeError:
        pass


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_events_reach_only_their_own_user(signed_in, channel_layer):
    # given two signed-in users with open sockets
    user, session = signed_in
    other = await database_sync_to_async(UserFactory)()
    other_session = await database_sync_to_async(sockets.session_for)(other)
    mine, theirs = socket(session=session), socket(session=other_session)
    try:
        assert (await mine.connect())[0]
        assert (await theirs.connect())[0]
        # when an event is sent to the first user
        await database_sync_to_async(_send_after_commit)(user.pk)
        # then only the first user's socket receives it
        assert (await mine.receive_json_from(timeout=5))["type"] == "plan.updated"
        assert await theirs.receive_nothing(timeout=0.5)
    finally:
        await mine.disconnect()
        await theirs.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_anonymous_socket_is_closed():
    communicator = socket()
    connected, code = await communicator.connect()
    assert not connected
    assert code == CLOSE_UNAUTHENTICATED


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_socket_from_a_foreign_origin_is_refused(signed_in):
    _, session = signed_in
    communicator = socket(session=session, origin="https://evil.example")
    connected, _ = await communicator.connect()
    assert not connected


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_frames_from_the_client_get_an_error_and_the_socket_stays_open(
    signed_in, channel_layer
):
    user, session = signed_in
    communicator = socket(session=session)
    try:
        assert (await communicator.connect())[0]
        for frame in ["not json", '{"type": "x"}', "x" * 100_000]:
            await communicator.send_to(text_data=frame)
            reply = await communicator.receive_json_from(timeout=5)
            assert reply["type"] == "error"
        # still usable
        await channel_layer.group_send(
            user_group_name(user.pk), {"type": "broadcast", "event": "ping", "payload": {}}
        )
        assert (await communicator.receive_json_from(timeout=5))["type"] == "ping"
    finally:
        await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_receive_waits_longer_than_the_redis_client_read_timeout(channel_layer):
    # given a channel nobody writes to for longer than redis-py's default 5 s read timeout
    channel = await channel_layer.new_channel()
    group = f"test.{uuid.uuid4().hex}"
    await channel_layer.group_add(group, channel)
    receiving = asyncio.ensure_future(channel_layer.receive(channel))
    await asyncio.sleep(6.5)
    # when a message finally arrives
    await channel_layer.group_send(group, {"type": "test.late"})
    # then the waiting receive gets it instead of failing with a timeout
    assert await asyncio.wait_for(receiving, timeout=5) == {"type": "test.late"}
    await channel_layer.group_discard(group, channel)
