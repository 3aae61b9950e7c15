from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.api.pagination import paginated_response
from lms.selectors import classroom_list_for_user, membership_list_for_user, school_list_for_user


@extend_schema_serializer(component_name="School")
class SchoolOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


@extend_schema_serializer(component_name="Membership")
class MembershipOutputSerializer(serializers.Serializer):
    school = SchoolOutputSerializer()
    role = serializers.CharField()


class MeApi(APIView):
    @extend_schema_serializer(component_name="Me")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        name = serializers.CharField()
        email = serializers.EmailField(allow_blank=True)
        memberships = MembershipOutputSerializer(many=True)

    @extend_schema(responses=OutputSerializer, operation_id="lms_me")
    def get(self, request):
        user = request.user
        data = {
            "id": user.pk,
            "username": user.username,
            "name": user.name,
            "email": user.email,
            "memberships": membership_list_for_user(user=user),
        }
        return Response(self.OutputSerializer(data).data)


class SchoolListApi(APIView):
    @extend_schema(responses=SchoolOutputSerializer(many=True), operation_id="lms_school_list")
    def get(self, request):
        schools = school_list_for_user(user=request.user)
        return paginated_response(
            request=request, view=self, queryset=schools, serializer_class=SchoolOutputSerializer
        )


class ClassroomListApi(APIView):
    @extend_schema_serializer(component_name="Classroom")
    class OutputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="HomeroomTeacher")
        class TeacherSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            name = serializers.CharField()

        id = serializers.IntegerField()
        name = serializers.CharField()
        school_id = serializers.IntegerField()
        student_count = serializers.IntegerField()
        homeroom_teachers = TeacherSerializer(many=True)

    @extend_schema(responses=OutputSerializer(many=True), operation_id="lms_classroom_list")
    def get(self, request, school_id: int):
        school = get_object_or_404(school_list_for_user(user=request.user), pk=school_id)
        classrooms = classroom_list_for_user(user=request.user, school=school)
        return paginated_response(
            request=request,
            view=self,
            queryset=classrooms,
            serializer_class=self.OutputSerializer,
        )


class TokenApi(APIView):
    """Exchange a username and password for an API token (POST), or revoke it (DELETE)."""

    @extend_schema_serializer(component_name="TokenRequest")
    class InputSerializer(AuthTokenSerializer):
        # Bounded before authentication: the login-attempt log stores the username.
        username = serializers.CharField(max_length=150, write_only=True)
        password = serializers.CharField(
            max_length=1024,
            trim_whitespace=False,
            write_only=True,
            style={"input_type": "password"},
        )

    @extend_schema_serializer(component_name="Token")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(
        request=InputSerializer, responses=OutputSerializer, operation_id="lms_token_create"
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response(self.OutputSerializer({"token": token.key}).data)

    @extend_schema(responses={204: None}, operation_id="lms_token_delete")
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return super().get_permissions()
