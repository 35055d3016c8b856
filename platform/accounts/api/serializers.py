from rest_framework import serializers

from accounts.models import Role, User


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), source="role_names", read_only=True
    )
    phone = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "full_name_kana",
            "phone",
            "preferred_language",
            "roles",
        ]
        read_only_fields = fields

    def get_phone(self, user: User) -> str:
        return user.phone.as_e164 if user.phone else ""
