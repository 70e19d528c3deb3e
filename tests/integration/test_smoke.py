import httpx

from helpers import US, order_doc, server_now


def test_eligible_order_offers_the_action_then_accepts_one_solicitation(client, admin_headers, token):
    assert (
        client.put(
            "/admin/v1/orders/111-0000000-0000001", json=order_doc("111-0000000-0000001"), headers=admin_headers
        ).status_code
        == 200
    )
    headers = {"x-amz-access-token": token}
    url = "/solicitations/v1/orders/111-0000000-0000001"
    got = client.get(url, params={"marketplaceIds": US}, headers=headers)
    assert got.status_code == 200
    assert [a["name"] for a in got.json()["_links"]["actions"]] == ["productReviewAndSellerFeedback"]
    post = url + "/solicitations/productReviewAndSellerFeedback"
    assert client.post(post, params={"marketplaceIds": US}, headers=headers).status_code == 201
    assert client.post(post, params={"marketplaceIds": US}, headers=headers).status_code == 403


def test_server_process_answers(server):
    token = server.issue_token()
    server.put_order(order_doc("111-0000000-0000002", now=server_now()))
    r = httpx.get(
        server.base_url + "/solicitations/v1/orders/111-0000000-0000002",
        params={"marketplaceIds": US},
        headers={"x-amz-access-token": token},
    )
    assert r.status_code == 200
    assert r.json()["_links"]["actions"]
